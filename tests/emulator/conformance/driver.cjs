// Drives Octopus's official TypeScript client (@octopusdeploy/api-client) against a server:
// push a package (new, conflict, ignore), push build information, create a release, deploy it,
// wait for the task. Prints one JSON line with what happened; exits non-zero on any surprise.
"use strict";

const {
  Client,
  PackageRepository,
  BuildInformationRepository,
  ReleaseRepository,
  DeploymentRepository,
  ServerTaskWaiter,
  OverwriteMode,
} = require("@octopusdeploy/api-client");

const space = process.env.OCTOPUS_SPACE || "Default";
const packagePath = process.env.CONFORMANCE_PACKAGE;
const version = process.env.CONFORMANCE_VERSION || "1.2.3";
const log = { debug() {}, info() {}, warn() {}, error: (m, e) => console.error(m, e) };

function fail(message) {
  console.error(`conformance: ${message}`);
  process.exit(1);
}

async function main() {
  // API-key mode, or access-token mode (as after the OIDC login action) when a token is given.
  const credentials = process.env.OCTOPUS_ACCESS_TOKEN
    ? { accessToken: process.env.OCTOPUS_ACCESS_TOKEN }
    : { apiKey: process.env.OCTOPUS_API_KEY };
  const client = await Client.create({
    instanceURL: process.env.OCTOPUS_URL,
    userAgentApp: "octoci-conformance",
    logging: log,
    ...credentials,
  });
  const packages = new PackageRepository(client, space);
  await packages.push([packagePath], OverwriteMode.FailIfExists);
  let conflict = null;
  try {
    await packages.push([packagePath], OverwriteMode.FailIfExists);
  } catch (error) {
    conflict = String(error && error.message);
  }
  if (!conflict || !conflict.includes("already exists")) {
    fail(`a second FailIfExists push should be refused with 409, got: ${conflict}`);
  }
  await packages.push([packagePath], OverwriteMode.IgnoreIfExists);

  await new BuildInformationRepository(client, space).push(
    {
      spaceName: space,
      BuildEnvironment: "Conformance",
      BuildNumber: "42",
      BuildUrl: "https://ci.example/run/42",
      Branch: "main",
      VcsType: "Git",
      VcsRoot: "https://github.com/acme/shop",
      VcsCommitNumber: "abc123",
      Packages: [{ Id: "MyApp.Web", Version: version }],
      Commits: [{ Id: "abc123", Comment: "Fix bug #12" }],
    },
    OverwriteMode.OverwriteExisting,
  );

  const release = await new ReleaseRepository(client, space).create({
    spaceName: space,
    ProjectName: "My Project",
    ReleaseVersion: version,
    ChannelName: "Default",
    Packages: [`MyApp.Web:${version}`],
    IgnoreIfAlreadyExists: true,
    ReleaseNotes: "conformance",
  });
  const deployment = await new DeploymentRepository(client, space).create({
    spaceName: space,
    ProjectName: "My Project",
    ReleaseVersion: release.ReleaseVersion,
    EnvironmentNames: ["Dev"],
    UseGuidedFailure: false,
    Variables: { Greeting: "hi" },
  });
  const taskIds = deployment.DeploymentServerTasks.map((t) => t.ServerTaskId);
  const tasks = await new ServerTaskWaiter(client, space).waitForServerTasksToComplete(
    taskIds, 200, 60000,
  );
  const states = tasks.map((t) => t.State);
  if (!states.every((s) => s === "Success")) fail(`deployment tasks ended ${states}`);
  console.log(JSON.stringify({ conflict, release, deployment, states }));
}

main().then(
  () => process.exit(0), // keep-alive sockets would otherwise keep Node running
  (error) => fail(error && error.stack ? error.stack : String(error)),
);

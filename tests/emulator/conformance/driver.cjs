// Drives Octopus's official TypeScript client (@octopusdeploy/api-client), unmodified, against a
// server. It first sets up its own fixtures through the client's repository classes, as the
// client's integration tests do against a real Octopus (a space, environments, a lifecycle, a
// project with a package step, a tag set, a tenant, a runbook with a published snapshot), then
// runs the CI sequence: push a package (new, conflict, ignore), push build information, create a
// release, deploy it, deploy it for a tenant, run the runbook, wait for every task, and answer a
// guided failure (take responsibility, submit Retry).
// Prints one JSON line with what happened; exits non-zero on any surprise.
"use strict";

const octopus = require("@octopusdeploy/api-client");

const {
  Client,
  SpaceRepository,
  EnvironmentRepository,
  LifecycleRepository,
  ProjectGroupRepository,
  ProjectRepository,
  DeploymentProcessRepository,
  TagSetRepository,
  TenantRepository,
  RunbookRepository,
  RunbookSnapshotRepository,
  PackageRepository,
  BuildInformationRepository,
  ReleaseRepository,
  DeploymentRepository,
  RunbookRunRepository,
  ServerTaskWaiter,
  OverwriteMode,
  NewProject,
  userGetCurrent,
} = octopus;

const spaceName = process.env.CONFORMANCE_SPACE;
const packagePath = process.env.CONFORMANCE_PACKAGE;
const version = process.env.CONFORMANCE_VERSION;
const packageId = "MyApp.Web";
const log = { debug() {}, info() {}, warn() {}, error: (m, e) => console.error(m, e) };

function fail(message) {
  console.error(`conformance: ${message}`);
  process.exit(1);
}

function expect(condition, message) {
  if (!condition) fail(message);
}

async function fixtures(client) {
  const user = await userGetCurrent(client);
  const space = await new SpaceRepository(client).create({
    Name: spaceName,
    SpaceManagersTeams: [],
    SpaceManagersTeamMembers: [user.Id],
    IsDefault: false,
  });
  const environments = new EnvironmentRepository(client, spaceName);
  const dev = await environments.create({ Name: "Dev" });
  const test = await environments.create({ Name: "Test" });
  const lifecycle = await new LifecycleRepository(client, spaceName).create({
    Name: "Dev then Test",
    Phases: [
      { Name: "Dev", AutomaticDeploymentTargets: [], OptionalDeploymentTargets: [dev.Id] },
      { Name: "Test", AutomaticDeploymentTargets: [], OptionalDeploymentTargets: [test.Id] },
    ],
  });
  const group = (await new ProjectGroupRepository(client, spaceName).list({ take: 1 })).Items[0];
  const project = await new ProjectRepository(client, spaceName).create({
    ...NewProject("My Project", group, lifecycle),
    TenantedDeploymentMode: "TenantedOrUntenanted",
  });
  const processes = new DeploymentProcessRepository(client, spaceName);
  const process_ = await processes.get(project);
  process_.Steps = [
    {
      Id: "",
      Name: "Deploy web",
      Properties: {},
      Condition: "Success",
      StartTrigger: "StartAfterPrevious",
      PackageRequirement: "LetOctopusDecide",
      Actions: [
        {
          Id: "",
          Name: "Deploy web",
          ActionType: "Octopus.TentaclePackage",
          IsDisabled: false,
          Environments: [],
          ExcludedEnvironments: [],
          Channels: [],
          TenantTags: [],
          Properties: { "Octopus.Action.Package.PackageId": packageId },
          Packages: [
            {
              Id: "",
              Name: "",
              PackageId: packageId,
              FeedId: "feeds-builtin",
              AcquisitionLocation: "Server",
              Properties: {},
            },
          ],
        },
      ],
    },
  ];
  await processes.update(project, process_);
  await new TagSetRepository(client, spaceName).create({
    Name: "Tier",
    Tags: [{ Name: "Gold", Color: "#FFD700" }],
  });
  const tenant = await new TenantRepository(client, spaceName).create({
    Name: "Acme",
    TenantTags: ["Tier/Gold"],
    ProjectEnvironments: { [project.Id]: [dev.Id] },
  });
  const runbook = await new RunbookRepository(client, spaceName, project).create({
    Name: "Restart",
    ProjectId: project.Id,
    EnvironmentScope: "Specified",
    Environments: [dev.Id],
    MultiTenancyMode: "TenantedOrUntenanted",
  });
  const snapshot = await new RunbookSnapshotRepository(client, spaceName, project).create(
    runbook, "Snapshot 1", true,
  );
  return { space, dev, test, lifecycle, project, tenant, runbook, snapshot };
}

async function ciSequence(client) {
  const packages = new PackageRepository(client, spaceName);
  await packages.push([packagePath], OverwriteMode.FailIfExists);
  let conflict = null;
  try {
    await packages.push([packagePath], OverwriteMode.FailIfExists);
  } catch (error) {
    conflict = String(error && error.message);
  }
  expect(
    conflict && conflict.includes("already exists"),
    `a second FailIfExists push should be refused with 409, got: ${conflict}`,
  );
  await packages.push([packagePath], OverwriteMode.IgnoreIfExists);

  await new BuildInformationRepository(client, spaceName).push(
    {
      spaceName,
      BuildEnvironment: "Conformance",
      BuildNumber: "42",
      BuildUrl: "https://ci.example/run/42",
      Branch: "main",
      VcsType: "Git",
      VcsRoot: "https://github.com/acme/shop",
      VcsCommitNumber: "abc123",
      Packages: [{ Id: packageId, Version: version }],
      Commits: [{ Id: "abc123", Comment: "Fix bug #12" }],
    },
    OverwriteMode.OverwriteExisting,
  );

  const release = await new ReleaseRepository(client, spaceName).create({
    spaceName,
    ProjectName: "My Project",
    ReleaseVersion: version,
    ChannelName: "Default",
    Packages: [`${packageId}:${version}`],
    IgnoreIfAlreadyExists: true,
    ReleaseNotes: "conformance",
  });
  const deployments = new DeploymentRepository(client, spaceName);
  const deployment = await deployments.create({
    spaceName,
    ProjectName: "My Project",
    ReleaseVersion: release.ReleaseVersion,
    EnvironmentNames: ["Dev"],
    UseGuidedFailure: false,
    Variables: { Greeting: "hi" },
  });
  const tenanted = await deployments.createTenanted({
    spaceName,
    ProjectName: "My Project",
    ReleaseVersion: release.ReleaseVersion,
    EnvironmentName: "Dev",
    Tenants: ["Acme"],
    UseGuidedFailure: false,
  });
  const run = await new RunbookRunRepository(client, spaceName).create({
    spaceName,
    ProjectName: "My Project",
    RunbookName: "Restart",
    EnvironmentNames: ["Dev"],
    UseGuidedFailure: false,
  });
  const taskIds = [
    ...deployment.DeploymentServerTasks.map((t) => t.ServerTaskId),
    ...tenanted.DeploymentServerTasks.map((t) => t.ServerTaskId),
    ...run.RunbookRunServerTasks.map((t) => t.ServerTaskId),
  ];
  expect(taskIds.length === 3, `expected three tasks, got ${JSON.stringify(taskIds)}`);
  const tasks = await new ServerTaskWaiter(client, spaceName).waitForServerTasksToComplete(
    taskIds, 200, 60000,
  );
  const states = tasks.map((t) => t.State);
  expect(states.every((s) => s === "Success"), `tasks ended ${states}`);
  const guided = await guidedFailure(client, deployments, release);
  return { conflict, release, deployment, tenanted, run, taskIds, states, guided };
}

// Guided failure, as a person answers it in Octopus: the deployment to Test fails its first run
// (the emulator is seeded so), pauses with a pending interruption instead of ending Failed; the
// client takes responsibility and submits Retry through its own request machinery (the
// api-client has no interruption repository), and the retried deployment succeeds.
async function guidedFailure(client, deployments, release) {
  const created = await deployments.create({
    spaceName,
    ProjectName: "My Project",
    ReleaseVersion: release.ReleaseVersion,
    EnvironmentNames: ["Test"],
    UseGuidedFailure: true,
  });
  const taskId = created.DeploymentServerTasks[0].ServerTaskId;
  const spaceId = (await new SpaceRepository(client).list({ partialName: spaceName })).Items[0].Id;
  let task;
  for (let i = 0; i < 300; i += 1) {
    task = await client.get(`~/api/${spaceId}/tasks/${taskId}`);
    if (task.HasPendingInterruptions || task.IsCompleted) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(task.HasPendingInterruptions && !task.IsCompleted,
    `the guided-failure deployment did not wait for a person: ${task.State}`);
  const pending = await client.get(
    `~/api/${spaceId}/interruptions?regarding=${taskId}&pendingOnly=true`,
  );
  expect(pending.Items.length === 1, `expected one interruption, got ${pending.Items.length}`);
  const interruption = pending.Items[0];
  expect(interruption.Type === "GuidedFailure", `interruption type ${interruption.Type}`);
  await client.doUpdate(`~${interruption.Links.Responsible}`, {});
  await client.doCreate(`~${interruption.Links.Submit}`, {
    Instructions: null,
    Notes: "conformance: retry",
    Guidance: "Retry",
  });
  const [done] = await new ServerTaskWaiter(client, spaceName).waitForServerTasksToComplete(
    [taskId], 200, 60000,
  );
  expect(done.State === "Success", `the retried deployment ended ${done.State}`);
  return { taskId, interruptionId: interruption.Id, state: done.State };
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
  const made = await fixtures(client);
  const result = await ciSequence(client);
  console.log(JSON.stringify({ fixtures: made, ...result }));
}

main().then(
  () => process.exit(0), // keep-alive sockets would otherwise keep Node running
  (error) => fail(error && error.stack ? error.stack : String(error)),
);

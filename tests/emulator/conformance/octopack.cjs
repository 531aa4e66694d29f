// Drives Octopus's official packaging client (@octopusdeploy/octopackjs), unmodified: pack a
// zip and a tar.gz, push each to the space's built-in feed, push again without `replace` (Octopus
// refuses: 409), then with `replace` (accepted). Prints one JSON line; exits non-zero on any
// surprise.
"use strict";

const octo = require("@octopusdeploy/octopackjs");

const options = {
  host: process.env.OCTOPUS_URL,
  apiKey: process.env.OCTOPUS_API_KEY,
  spaceId: process.env.CONFORMANCE_SPACE_ID,
};
const outDir = process.env.CONFORMANCE_OUT;

function fail(message) {
  console.error(`conformance: octopackjs: ${message}`);
  process.exit(1);
}

function pack(type, version) {
  return new Promise((resolve, reject) => {
    octo
      .pack(type, { id: "Shop.Site", version })
      .append("index.html", Buffer.from("<h1>Shop</h1>\n"))
      .append("js/app.js", Buffer.from("console.log('shop');\n"))
      .toFile(outDir, (err, data) => (err ? reject(err) : resolve(data)));
  });
}

function push(file, extra) {
  return new Promise((resolve) => {
    octo.push(file, { ...options, ...extra }, (err, body) => resolve({ err, body }));
  });
}

async function main() {
  const results = [];
  for (const [type, version] of [["zip", "1.0.0"], ["targz", "1.0.1"]]) {
    const packed = await pack(type, version);
    const first = await push(packed.path, {});
    if (first.err) fail(`the first push of ${packed.name} failed: ${JSON.stringify(first.err.body)}`);
    const again = await push(packed.path, {});
    if (!again.err || again.err.statusCode !== 409) {
      fail(`pushing ${packed.name} again should be 409, got ${JSON.stringify(again)}`);
    }
    const replaced = await push(packed.path, { replace: true });
    if (replaced.err) fail(`a replace push of ${packed.name} failed: ${JSON.stringify(replaced.err.body)}`);
    results.push({
      path: packed.path,
      name: packed.name,
      first: first.body,
      conflict: again.err.statusCode,
      conflictMessage: again.err.body && again.err.body.Errors,
      replaced: replaced.body,
    });
  }
  console.log(JSON.stringify(results));
}

main().then(
  () => process.exit(0),
  (error) => fail(error && error.stack ? error.stack : String(error)),
);

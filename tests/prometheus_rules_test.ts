import assert from "node:assert/strict";
import { parse } from "yaml";
import { metricNames } from "../scripts/dashboard_queries.ts";
import { scrapeLiveServer } from "./support/live_metrics.ts";

const DIR = new URL("../deploy/prometheus/", import.meta.url).pathname;

async function promtoolInstalled(): Promise<boolean> {
  try {
    return (await new Deno.Command("promtool", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

const NO_PROMTOOL = !(await promtoolInstalled());
const IGNORED = NO_PROMTOOL
  ? " (ignored: promtool is not installed; apt-get install prometheus)"
  : "";

/** Runs promtool in deploy/prometheus; fails with its output. */
async function promtool(...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("promtool", {
    args,
    cwd: DIR,
  }).output();
  const output = new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr);
  assert.ok(success, `promtool ${args.join(" ")}:\n${output}`);
  return output;
}

Deno.test({
  name:
    `promtool check config and check rules accept deploy/prometheus${IGNORED}`,
  ignore: NO_PROMTOOL,
  async fn() {
    assert.match(
      await promtool("check", "config", "prometheus.yml"),
      /SUCCESS: 1 rule files found/,
    );
    assert.match(
      await promtool("check", "rules", "rules/kv-cache.yml"),
      /SUCCESS: 9 rules found/,
    );
  },
});

Deno.test({
  name:
    `promtool test rules: every alert fires where it should and only there${IGNORED}`,
  ignore: NO_PROMTOOL,
  async fn() {
    assert.match(
      await promtool("test", "rules", "tests/kv-cache_test.yml"),
      /SUCCESS/,
    );
  },
});

Deno.test("every alert has a unit test, and reads only metrics a live server exports", async () => {
  const rules = parse(await Deno.readTextFile(`${DIR}rules/kv-cache.yml`));
  const tests = parse(await Deno.readTextFile(`${DIR}tests/kv-cache_test.yml`));
  const alerts: { alert: string; expr: string }[] = rules.groups.flatMap((
    group: { rules: { alert: string; expr: string }[] },
  ) => group.rules);
  const tested = new Set(
    tests.tests.flatMap((t: { alert_rule_test: { alertname: string }[] }) =>
      t.alert_rule_test.map((a) => a.alertname)
    ),
  );
  assert.deepEqual(
    alerts.map((a) => a.alert).filter((name) => !tested.has(name)),
    [],
  );

  const exported = await scrapeLiveServer();
  for (const { alert, expr } of alerts) {
    const names = metricNames(expr);
    assert.ok(
      names.length > 0 || /\bup\{/.test(expr),
      `${alert} reads nothing`,
    );
    for (const name of names) {
      assert.ok(exported.has(name), `${alert} reads ${name}, not exported`);
    }
  }
});

#!/usr/bin/env node
// A headless Chromium for bitveil's browser tests, driven line by line by a Python test
// (tests/integration/browser.py): Debian's /usr/bin/chromium through playwright-core, installed into
// tests/web/node_modules by scripts/web-deps.
//
// usage: node driver.js [--screen WxH]
// stdin: one JSON command per line; stdout: one JSON reply per line, in order:
//   {"cmd": "goto", "url": U}                       load U (waits for the load event)
//   {"cmd": "eval", "js": EXPR}                     the value of EXPR in the page (JSON-serialisable)
//   {"cmd": "wait", "js": EXPR, "timeout": MS}      until EXPR is truthy in the page; its value
//   {"cmd": "click", "selector": S, "button": "left"|"right"}   a real mouse click on the first match
//   {"cmd": "fill", "selector": S, "value": V}      type V into an input
//   {"cmd": "files", "selector": S, "paths": [P]}   choose files in an <input type=file>
//   {"cmd": "screenshot", "path": P}                the whole page as PNG
//   {"cmd": "quit"}
// Reply: {"ok": true, "value": ..., "ms": N, "console": [...]} or {"ok": false, "error": "...", "console": [...]}.
// "console" holds what the page reported since the previous reply: console messages of type error and
// warning, uncaught exceptions ("pageerror"), dialogs (alert, confirm: dismissed), failed requests and replies
// with status 409 ("response409"), each {"type", "text", "url"}. The Python side decides which of them fail the test.
// Exit status: 0 after quit, 77 when playwright-core is missing (the first line says why), 1 on a launch error.
"use strict";

const path = require("path");
const readline = require("readline");

function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

let playwright;
try {
  playwright = require(path.join(__dirname, "node_modules", "playwright-core"));
} catch (e) {
  reply({ ok: false, skip: "playwright-core is not installed in tests/web/node_modules (run scripts/web-deps)" });
  process.exit(77);
}

const CHROMIUM = process.env.BITVEIL_CHROMIUM || "/usr/bin/chromium";
const screenArg = process.argv.indexOf("--screen");
const [width, height] = (screenArg > 0 ? process.argv[screenArg + 1] : "1280x900").split("x").map(Number);

async function main() {
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: the tests run as root. The rest keeps Chromium from reaching out on its own.
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions"],
  });
  const page = await browser.newPage({ viewport: { width, height } });
  let pending = [];
  const note = (type, text, url) => {
    pending.push({ type, text, url: url || "" });
    process.stderr.write(`[page ${type}] ${text}${url ? " (" + url + ")" : ""}\n`);
  };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") note(m.type(), m.text(), m.location().url);
  });
  page.on("pageerror", (e) => note("pageerror", String(e && e.stack ? e.stack : e)));
  page.on("dialog", (d) => {
    note("dialog", `${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  // Chromium logs every 409 as a console error, located at the script that sent the request, not at the URL:
  // the replies are listed too, so that the test can tell the RPC's session-id handshake from other 409s.
  page.on("response", (r) => { if (r.status() === 409) note("response409", `${r.request().method()} 409`, r.url()); });
  page.on("requestfailed", (r) => note("requestfailed", `${r.method()} ${r.failure() ? r.failure().errorText : ""}`, r.url()));

  const commands = {
    goto: async (c) => { await page.goto(c.url, { waitUntil: "load", timeout: c.timeout || 30000 }); return page.url(); },
    eval: async (c) => page.evaluate(c.js),
    wait: async (c) => {
      const handle = await page.waitForFunction(c.js, null, { timeout: c.timeout || 15000, polling: 100 });
      return handle.jsonValue();
    },
    click: async (c) => {
      await page.locator(c.selector).first().click({ button: c.button || "left", timeout: c.timeout || 10000 });
      return true;
    },
    fill: async (c) => { await page.locator(c.selector).first().fill(c.value, { timeout: 10000 }); return true; },
    files: async (c) => { await page.locator(c.selector).first().setInputFiles(c.paths, { timeout: 10000 }); return true; },
    screenshot: async (c) => { await page.screenshot({ path: c.path, fullPage: true }); return c.path; },
  };

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let c;
    try {
      c = JSON.parse(line);
    } catch (e) {
      reply({ ok: false, error: "bad command: " + e.message, console: [] });
      continue;
    }
    if (c.cmd === "quit") break;
    const t0 = Date.now();
    try {
      const fn = commands[c.cmd];
      if (!fn) throw new Error("unknown command " + c.cmd);
      const value = await fn(c);
      reply({ ok: true, value: value === undefined ? null : value, ms: Date.now() - t0, console: pending });
    } catch (e) {
      reply({ ok: false, error: String(e && e.message ? e.message : e), ms: Date.now() - t0, console: pending });
    }
    pending = [];
  }
  await browser.close();
}

main().then(() => process.exit(0), (e) => {
  reply({ ok: false, error: "browser: " + String(e && e.stack ? e.stack : e) });
  process.exit(1);
});

// WebKit for the page-level tests: WebKitGTK's MiniBrowser driven over WebDriver (Debian's
// WebKitWebDriver, through selenium-webdriver), with a page object that has the one method the
// shared helpers of tests/e2e/browser.mjs use, `evaluate(fn, arg)`, so `uploadInPage` and the other
// in-page code run unchanged. The same page object drives headless Firefox ESR through geckodriver
// (the bench's per-engine figures). Also a proxy in front of the store that slows part bodies down
// (WebKit has no network emulation) and records every part request, so a test can see what was sent
// (WebDriver has no request events). Each page is a browser of its own. MiniBrowser needs an X
// display: scripts/test.sh runs these tests under `xvfb-run -a`.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Builder, By } from 'selenium-webdriver';

/** WebKitGTK's MiniBrowser (package libwebkit2gtk-4.1-0, in the machine's multiarch folder). */
export function miniBrowserPath() {
  for (const dir of readdirSync('/usr/lib')) {
    const path = `/usr/lib/${dir}/webkit2gtk-4.1/MiniBrowser`;
    if (existsSync(path)) return path;
  }
  throw new Error('MiniBrowser not found: install webkit2gtk-driver (scripts/setup.sh does)');
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    probe.once('error', reject);
    probe.once('listening', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/**
 * A fresh MiniBrowser (its own storage) in a WebDriver session of its own WebKitWebDriver, on a
 * free loopback port: the driver serves one session at a time. `close()` ends both.
 */
export function openWebKit() {
  if (!process.env.DISPLAY) throw new Error('WebKit needs an X display: run the tests under `xvfb-run -a`');
  return openWebDriver('WebKitWebDriver', {
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: miniBrowserPath(), args: ['--automation'] },
  });
}

/** A fresh headless Firefox ESR in a WebDriver session of its own geckodriver, as `openWebKit`. */
export function openFirefox() {
  return openWebDriver('geckodriver', {
    browserName: 'firefox',
    'moz:firefoxOptions': { binary: '/usr/bin/firefox-esr', args: ['-headless'] },
  });
}

/** A page in a session of the WebDriver server `command` started on a free loopback port. */
async function openWebDriver(command, capabilities) {
  const port = await freePort();
  const driverProcess = spawn(command, [`--port=${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  drivers.add(driverProcess);
  driverProcess.once('exit', () => drivers.delete(driverProcess));
  let driverLog = '';
  driverProcess.stderr.on('data', (chunk) => {
    driverLog = (driverLog + chunk).slice(-4000);
  });
  const server = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries += 1) {
    try {
      if ((await (await fetch(`${server}/status`)).json()).value?.ready) break;
    } catch {
      // not listening yet
    }
    if (tries > 100 || driverProcess.exitCode !== null) {
      driverProcess.kill();
      throw new Error(`${command} did not start: ${driverLog}`);
    }
    await sleep(100);
  }
  try {
    const driver = await new Builder().usingServer(server).withCapabilities(capabilities).build();
    // Each script is short (see `evaluate`); a page load waits for the page's module scripts.
    await driver.manage().setTimeouts({ script: 60_000, pageLoad: 60_000 });
    await driver.manage().window().setRect({ width: 1100, height: 900 });
    return new WebDriverPage(driver, driverProcess);
  } catch (error) {
    driverProcess.kill();
    throw error;
  }
}

let evaluations = 0;
const drivers = new Set();
// A driver does not end with the tests' process by itself; its browser ends with it.
process.once('exit', () => {
  for (const driver of drivers) driver.kill();
});

/** One browser window, with what the tests need of Playwright's `Page`. */
class WebDriverPage {
  #driverProcess;
  #last = Promise.resolve();

  constructor(driver, driverProcess) {
    this.driver = driver;
    this.#driverProcess = driverProcess;
  }

  /** Runs `command(driver)` after the page's earlier commands have answered: WebKitWebDriver never
   * answers a reload sent while a script of the same session is running. */
  #command(command) {
    const result = this.#last.then(() => command(this.driver));
    this.#last = result.catch(() => {});
    return result;
  }

  #script(script, ...args) {
    return this.#command((driver) => driver.executeScript(script, ...args));
  }

  /** Opens `url` and starts recording the page's console warnings and uncaught errors. */
  async goto(url) {
    await this.#command((driver) => driver.get(url));
    await this.#record();
  }

  /** Reloads the page (functions still running in it reject) and records again. */
  async reload() {
    await this.#command((driver) => driver.navigate().refresh());
    await this.#record();
  }

  #record() {
    return this.#script(() => {
      window.__recorded ??= { warnings: [], errors: [] };
      const warn = console.warn.bind(console);
      console.warn = (...args) => {
        window.__recorded.warnings.push(args.map(String).join(' '));
        warn(...args);
      };
      window.addEventListener('error', (event) => window.__recorded.errors.push(String(event.message)));
      window.addEventListener('unhandledrejection', (event) =>
        window.__recorded.errors.push(String(event.reason?.message ?? event.reason)),
      );
    });
  }

  /** The console warnings and uncaught errors since the page was last opened or reloaded. */
  recorded() {
    return this.#script(() => window.__recorded ?? { warnings: [], errors: [] });
  }

  /**
   * Runs `fn(arg)` in the page and resolves to its (awaited) result, as Playwright's
   * `page.evaluate` does: `fn` is sent as source, so it may use only its argument and the page's
   * globals; `arg` and the result travel as JSON (a result JSON cannot hold comes back undefined).
   * The function is started by one short script and its outcome polled by others, so a long upload
   * holds no WebDriver command open and the page can be reloaded meanwhile: the call then rejects.
   */
  async evaluate(fn, arg) {
    const id = ++evaluations;
    const args = arg === undefined ? [] : [arg];
    await this.#script(
      `const [args, id] = arguments;
       const runs = (window.__evaluations ??= {});
       runs[id] = { done: false };
       Promise.resolve()
         .then(() => (${fn})(...args))
         .then(
           (value) => {
             // What JSON cannot carry (a window, a cycle) comes back undefined.
             try { JSON.stringify(value); } catch { value = undefined; }
             runs[id] = { done: true, value };
           },
           (error) => { runs[id] = { done: true, error: String(error?.stack ?? error) }; },
         );`,
      args,
      id,
    );
    for (;;) {
      const run = await this.#script(
        `const runs = window.__evaluations;
         const run = runs?.[arguments[0]];
         if (run?.done) delete runs[arguments[0]];
         return run ?? { gone: true };`,
        id,
      );
      if (run.gone) throw new Error('the page was reloaded or left before the function finished');
      if (run.error !== undefined) throw new Error(`in the page: ${run.error}`);
      if (run.done) return run.value ?? undefined;
      await sleep(50);
    }
  }

  /** Resolves when `fn(arg)`, run in the page every 100 ms, is truthy (within `timeout` ms). */
  async waitForFunction(fn, arg, { timeout = 60_000 } = {}) {
    const deadline = Date.now() + timeout;
    const args = arg === undefined ? [] : [arg];
    for (;;) {
      const value = await this.#script(`return (${fn})(...arguments[0]);`, args);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${fn}`);
      await sleep(100);
    }
  }

  /** Chooses files from this machine (paths) in the `<input type=file>` `selector` matches, as a
   * person does: WebDriver sends the paths, one per line. */
  setInputFiles(selector, paths) {
    return this.#command((driver) => driver.findElement(By.css(selector)).sendKeys([paths].flat().join('\n')));
  }

  /** Clicks the element `selector` matches. */
  click(selector) {
    return this.#command((driver) => driver.findElement(By.css(selector)).click());
  }

  /** The text of the element `selector` matches (null if none does). */
  textContent(selector) {
    return this.#script((selector) => document.querySelector(selector)?.textContent ?? null, selector);
  }

  /** Saves a PNG of the window to `path`, after two frames (so what was just changed is drawn). */
  async screenshot({ path }) {
    await this.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    writeFileSync(path, Buffer.from(await this.#command((driver) => driver.takeScreenshot()), 'base64'));
  }

  /** Ends the session (the browser quits) and its driver. */
  async close() {
    await this.driver.quit().catch(() => {});
    this.#driverProcess.kill();
  }
}

/**
 * A proxy in front of `upstream` (the store) that passes every request through, lets part bodies
 * (PUTs with `partNumber`) through at `bytesPerSecond` in all, and records each part request in
 * `parts` as `{path, uploadId, partNumber, status}` (`path`: `/bucket/key`), `status` being
 * `'sent'` when it arrives, then its answer's status. On loopback the sockets' buffers take a whole
 * part at once, so the browser reports a part sent long before the proxy has let it through: give
 * uploads through a slow proxy a stall timeout longer than a part takes.
 */
export async function startPartProxy({ upstream, bytesPerSecond = 0 }) {
  const target = new URL(upstream);
  const parts = [];
  let nextSlot = Date.now();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://proxy');
    const part = req.method === 'PUT' && url.searchParams.has('partNumber');
    const record = (status) =>
      parts.push({
        path: decodeURIComponent(url.pathname),
        uploadId: url.searchParams.get('uploadId'),
        partNumber: Number(url.searchParams.get('partNumber')),
        status,
      });
    if (part) record('sent');
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (part) record(answer.statusCode);
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    if (!part || !bytesPerSecond) {
      req.pipe(out);
      return;
    }
    // Each chunk waits for its turn at the shared rate; the browser's sending slows with it.
    req.on('data', (chunk) => {
      nextSlot = Math.max(nextSlot, Date.now()) + (chunk.length / bytesPerSecond) * 1000;
      const wait = nextSlot - Date.now();
      if (wait > 5) {
        req.pause();
        setTimeout(() => req.resume(), wait);
      }
      out.write(chunk);
    });
    req.on('end', () => out.end());
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    parts,
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

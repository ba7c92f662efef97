// What the end-to-end tests run against: the real `parley` binary on a free port with a fresh data folder, plain
// HTTP servers that play third-party sites on other ports, and Debian's headless Chromium. Everything started here
// is stopped by the returned stop functions.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const repoRoot = resolve(__dirname, '../../..');
export const screenshots = join(process.env.PARLEY_ARTIFACTS ?? join(repoRoot, 'test-artifacts'), 'screenshots');

export interface Parley {
  url: string;
  apiKey: string;
  email: string;
  password: string;
  stop(): Promise<void>;
}

function binary(): string {
  const path = process.env.PARLEY_BINARY ?? join(repoRoot, 'build/src/app/parley');
  return path;
}

// `config`: TOML appended to the data folder's parley.toml (e.g. [[providers]]); `limits`: lines added to its
// [limits] table (e.g. "visitor_token_seconds = 4"). `privateAddresses`: whether crawls, webhooks and installation
// checks may reach loopback, where the tests' sites are (parley.toml [network]).
export async function startParley(demo = false, config = '', limits = '', privateAddresses = true): Promise<Parley> {
  const data = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const init = spawnSync(binary(), ['--data', data, 'init', '--json', ...(demo ? ['--demo'] : [])], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`parley init failed: ${init.stderr}`);
  // The tests' third-party sites and webhook receivers are on loopback, which crawls and webhooks may not reach by
  // default.
  const settings = join(data, 'parley.toml');
  let toml = readFileSync(settings, 'utf8').replace('[limits]\n', `[limits]\n${limits ? limits + '\n' : ''}`);
  if (privateAddresses) toml = toml.replace('allow_private_addresses = false', 'allow_private_addresses = true');
  writeFileSync(settings, toml);
  if (config) appendFileSync(settings, '\n' + config);
  const ids = JSON.parse(init.stdout);
  const child: ChildProcess = spawn(binary(), ['--data', data, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((ready, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('parley serve did not start: ' + out)), 30_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        ready(match[1]);
      }
    });
    child.on('exit', (code) => fail(new Error(`parley serve exited (${code}): ${out}`)));
  });
  child.stderr!.resume();
  return {
    url,
    apiKey: ids.api_key,
    email: ids.admin_email,
    password: ids.admin_password,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

// A third-party site: serves `page()` at every path, on its own port (its own origin).
export interface Site {
  url: string;
  page: string;
  stop(): Promise<void>;
}

export async function startSite(): Promise<Site> {
  const site = { url: '', page: '<!doctype html><title>empty</title>' } as Site;
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(site.page);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  site.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  site.stop = () => new Promise((closed) => server.close(() => closed()));
  server.unref();
  return site;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(screenshots, { recursive: true });
  return join(screenshots, name);
}

// A call of the admin API with the instance's key (JSON bodies); throws on an error status, null for 204.
export async function adminApi<T>(parley: Parley, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(parley.url + '/api/v1' + path, {
    ...init,
    headers: { Authorization: `Bearer ${parley.apiKey}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? null : await response.json()) as T;
}

// Signs in to the admin app as the instance's owner and waits for the bots list.
export async function signIn(page: Page, parley: Parley): Promise<void> {
  await page.goto(parley.url + '/admin');
  await page.getByLabel('Email').fill(parley.email);
  await page.getByLabel('Password').fill(parley.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Bots' }).waitFor();
}

// Console errors and uncaught exceptions of the pages it watches. A test that provokes one on purpose (a refused save,
// a site that is not allowed) says so first with `expect`; the suite's last test checks that nothing else appeared.
export class ConsoleWatch {
  readonly unexpected: string[] = [];
  private readonly expected: RegExp[] = [];

  watch(page: Page): Page {
    page.on('console', (message) => {
      if (message.type() === 'error') this.record(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.record(`${page.url()}: uncaught ${error.message}`));
    return page;
  }

  expect(pattern: RegExp): void {
    this.expected.push(pattern);
  }

  private record(text: string): void {
    if (!this.expected.some((pattern) => pattern.test(text))) this.unexpected.push(text);
  }
}

// The widths of a page that scroll sideways: the document's, which must not exceed the window's.
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
}

// The team and the owner's own account, in headless Chromium against the real `parley` server (no mail server:
// links are shown to copy): an invitation by one-time link that the invitee opens in their own browser, chooses a
// name and password and is signed in with their role's menu; an account made with a generated password shown once;
// a role change, a password reset and a removal; API keys shown once and revoked; the owner's name and password
// change; every refusal next to its field, in plain words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConsoleWatch, launchChromium, screenshotPath, signIn, startParley, type Parley } from './support';

let parley: Parley;
let browser: Browser;
let owner: BrowserContext;
let page: Page;
const consoleWatch = new ConsoleWatch();

const shown = (title: RegExp) => page.getByRole('status', { name: title });

// A fresh browser (own cookies) signing in with an email and password.
async function signInAs(email: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const other = consoleWatch.watch(await context.newPage());
  await other.goto(parley.url + '/admin');
  await other.getByLabel('Email').fill(email);
  await other.getByLabel('Password').fill(password);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.getByRole('heading', { name: 'Bots' }).waitFor();
  return { context, page: other };
}

beforeAll(async () => {
  [parley, browser] = await Promise.all([startParley(), launchChromium()]);
  owner = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await owner.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: parley.url });
  page = consoleWatch.watch(await owner.newPage());
  await signIn(page, parley);
  await page.getByRole('link', { name: 'Team' }).click();
  await page.getByRole('heading', { name: 'People' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await parley?.stop();
});

describe('the team', () => {
  it('puts refusals next to their field, in plain words', async () => {
    consoleWatch.expect(/status of 400/);
    const form = page.getByRole('form', { name: 'Add a person' });
    await form.getByLabel('Email', { exact: true }).fill('sam at example');
    await form.getByRole('button', { name: 'Invite' }).click();
    const error = page.locator('#person-email-error');
    await error.waitFor();
    await expect(error.textContent()).resolves.toMatch(/^[A-Z].*\.$/);
    await expect(error.textContent()).resolves.not.toMatch(/`|settings\.|email:/);
    await expect(form.getByLabel('Email', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
  });

  it('invites a person with a one-time link; they choose a name and password and are in, with their role', async () => {
    const form = page.getByRole('form', { name: 'Add a person' });
    await form.getByLabel('Email', { exact: true }).fill('sam@example.com');
    await form.getByLabel('Role').selectOption('agent');
    await form.getByRole('button', { name: 'Invite' }).click();
    const invitation = shown(/Invitation for sam@example.com/);
    await invitation.waitFor();
    await expect(invitation.textContent()).resolves.toContain('This server cannot send email');
    const link = (await invitation.locator('code').textContent())!;
    expect(link).toMatch(new RegExp(`^${parley.url}/admin#/account/link/`));
    await invitation.getByRole('button', { name: 'Copy' }).click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(link);
    await page.locator('tr', { hasText: 'sam@example.com' }).getByText('Invited').waitFor();
    await page.screenshot({ path: screenshotPath('team-invited.png'), fullPage: true });

    const invitee = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const sam = consoleWatch.watch(await invitee.newPage());
    await sam.goto(link);
    await sam.getByRole('heading', { name: 'Welcome to Parley' }).waitFor();
    await sam.getByText('You were invited as sam@example.com').waitFor();
    await sam.getByLabel('Your name').fill('Sam Lee');
    await sam.getByLabel(/^Password \(at least/).fill('sams password 2026');
    await sam.getByLabel('Password again').fill('not the same');
    await sam.getByRole('button', { name: 'Save and sign in' }).click();
    await sam.locator('#link-again-error', { hasText: 'The two passwords are not the same.' }).waitFor();
    await sam.getByLabel('Password again').fill('sams password 2026');
    await sam.getByRole('button', { name: 'Save and sign in' }).click();
    await sam.getByRole('heading', { name: 'Bots' }).waitFor();
    // An agent's menu: the inbox, no team, no webhooks.
    const menu = await sam.locator('.topnav').textContent();
    expect(menu).toContain('Inbox');
    expect(menu).not.toContain('Team');
    expect(menu).not.toContain('Webhooks');
    await expect(sam.locator('.who-am-i').textContent()).resolves.toBe('Sam Lee');
    await sam.screenshot({ path: screenshotPath('team-agent-signed-in.png') });
    // The link works once.
    consoleWatch.expect(/status of 401/);
    await sam.goto(link);
    await sam.reload();
    await sam.getByText('this link has expired or was already used', { exact: false }).waitFor();
    await invitee.close();
  });

  it('creates an account with a generated password shown once, which signs in', async () => {
    const form = page.getByRole('form', { name: 'Add a person' });
    await form.getByLabel('Email', { exact: true }).fill('vic@example.com');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByLabel('Create the account with a generated password').check();
    await form.getByRole('button', { name: 'Create account' }).click();
    const password = (await shown(/Password for vic@example.com/).locator('code').textContent())!;
    const { context, page: vic } = await signInAs('vic@example.com', password);
    const menu = await vic.locator('.topnav').textContent();
    expect(menu).not.toContain('Inbox');
    await context.close();
  });

  it('changes a role, gives a new password, and removes a person', async () => {
    await page.getByRole('combobox', { name: 'Role of sam@example.com' }).selectOption('admin');
    await expect.poll(async () => (await page.evaluate(async () => (await (await fetch('/api/v1/users')).json()).users)).find((u: any) => u.email === 'sam@example.com').role).toBe('admin');
    await page.getByRole('button', { name: 'Generate a new password for sam@example.com' }).click();
    const password = (await shown(/New password for sam@example.com/).locator('code').textContent())!;
    const { context } = await signInAs('sam@example.com', password);
    await context.close();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove vic@example.com' }).click();
    await expect.poll(() => page.locator('tr', { hasText: 'vic@example.com' }).count()).toBe(0);
  });

  it('creates an API key shown once, which works until it is revoked', async () => {
    const keys = page.getByRole('form', { name: 'New API key' });
    await keys.getByLabel("New key's name").fill('CRM sync');
    await keys.getByLabel('Role').selectOption('viewer');
    await keys.getByRole('button', { name: 'Create key' }).click();
    const secret = (await shown(/API key "CRM sync"/).locator('code').textContent())!;
    expect((await fetch(`${parley.url}/api/v1/bots`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(200);
    await page.locator('tr', { hasText: 'CRM sync' }).waitFor();
    await page.screenshot({ path: screenshotPath('team.png'), fullPage: true });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke CRM sync' }).click();
    await page.locator('tr', { hasText: 'CRM sync' }).getByText('Revoked').waitFor();
    expect((await fetch(`${parley.url}/api/v1/bots`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(401);
  });
});

describe("the owner's account", () => {
  it('sets the name visitors see and changes the password, each refusal at its field', async () => {
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByLabel('Your name').fill('Maria Gomez');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await expect(page.locator('.who-am-i').textContent()).resolves.toBe('Maria Gomez');

    // Signed in elsewhere too (another browser): that session ends with the change, this one stays.
    const elsewhere = await signInAs(parley.email, parley.password);
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel(/^New password \(at least/).fill('maria new password');
    await page.getByLabel('New password again').fill('maria new password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#password-current_password-error', { hasText: 'The current password is not right.' }).waitFor();
    await expect(page.getByLabel('Current password').getAttribute('aria-invalid')).resolves.toBe('true');
    await page.getByLabel('Current password').fill(parley.password);
    await page.getByLabel(/^New password \(at least/).fill('short');
    await page.getByLabel('New password again').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#password-new_password-error', { hasText: 'The password must have at least 10 characters.' }).waitFor();
    await page.getByLabel(/^New password \(at least/).fill('maria new password');
    await page.getByLabel('New password again').fill('maria new password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    await page.screenshot({ path: screenshotPath('account.png'), fullPage: true });
    const sessionOf = (of: Page) => of.evaluate(async () => (await (await fetch('/api/v1/auth/session')).json()).signed_in);
    await expect(sessionOf(elsewhere.page)).resolves.toBe(false);
    await expect(sessionOf(page)).resolves.toBe(true);
    await elsewhere.context.close();
    const { context } = await signInAs(parley.email, 'maria new password');
    await context.close();
  });

  it('had no console errors but those provoked on purpose', () => {
    expect(consoleWatch.unexpected).toEqual([]);
  });
});

// The bot builder in headless Chromium against the real `parley` binary: the answering values show the server's
// defaults and are never written unless changed; the lead form, handoff and model routing are set with form controls
// (no JSON), read back through the API exactly; the server's refusals appear next to the section they are about;
// settings the builder does not know survive every save.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { adminApi, launchChromium, screenshotPath, signIn, startParley, type Parley } from './support';

// A remote provider the server lists for routing (never called: these tests only configure routing).
const PROVIDERS = `[[providers]]
name = "openai"
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "gpt-test"
`;

let parley: Parley;
let browser: Browser;
let page: Page;
let botId = '';

const api = (path: string, init: RequestInit = {}): Promise<any> => adminApi<any>(parley, path, init);
const stored = async (): Promise<Record<string, any>> => (await api(`/bots/${botId}`)).settings;

const section = (title: string): Locator => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });
const leadField = (title: string): Locator => section('Lead form').getByRole('listitem', { name: `Field: ${title}`, exact: true });

async function save(): Promise<void> {
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved. Visitors see the changes' }).waitFor();
}
async function saveRefused(): Promise<void> {
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('.save-bar').getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
}
async function openBuilder(): Promise<void> {
  await page.goto(`${parley.url}/admin#/bots/${botId}/settings`);
  await page.reload(); // a fresh form from what is stored (going to the same address only changes the hash)
  await page.getByRole('heading', { name: 'Live preview' }).waitFor();
}

beforeAll(async () => {
  [parley, browser] = await Promise.all([startParley(false, PROVIDERS), launchChromium()]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  await signIn(page, parley);
  // A bot with settings the builder has no controls for: they must survive every save.
  const bot = await api('/bots', {
    method: 'POST',
    body: JSON.stringify({ name: 'Builder Shop', settings: { notifications: { emails: ['sales@example.com'] }, shop_note: 'kept' } }),
  });
  botId = bot.id;
  await openBuilder();
});

afterAll(async () => {
  await browser?.close();
  await parley?.stop();
});

describe('the bot builder', () => {
  it('shows the server defaults, and saving a colour change writes no answering value', async () => {
    const defaults = (await api(`/bots/${botId}/widget`)).answering_defaults;
    const answering = section('Answering');
    await expect(answering.getByRole('spinbutton', { name: /Curated answer match/ }).inputValue()).resolves.toBe(String(defaults.faq_threshold));
    await expect(answering.getByRole('spinbutton', { name: /Minimum confidence to answer/ }).inputValue()).resolves.toBe(String(defaults.answer_threshold));
    await expect(answering.getByRole('spinbutton', { name: /Sources per answer/ }).inputValue()).resolves.toBe(String(defaults.max_sources));
    expect(defaults).toMatchObject({ faq_threshold: 0.4, answer_threshold: 0.38, max_sources: 5 });

    await page.getByLabel('Brand colour').fill('#cc3366');
    await save();
    const settings = await stored();
    expect(settings.widget.primary_color).toBe('#cc3366');
    for (const key of ['faq_threshold', 'answer_threshold', 'max_sources', 'leads', 'routing']) expect(settings).not.toHaveProperty(key);
    // The handoff default that decides the widget's button was saved with the bot when it was created.
    expect(settings.handoff).toEqual({ enabled: true });
    expect(settings.notifications).toEqual({ emails: ['sales@example.com'] });
    expect(settings.shop_note).toBe('kept');
  });

  it('stores an answering value the owner changes, and removes it again with "Use the default"', async () => {
    const confidence = section('Answering').getByRole('spinbutton', { name: /Minimum confidence to answer/ });
    await confidence.fill('0.55');
    await save();
    let settings = await stored();
    expect(settings.answer_threshold).toBe(0.55);
    expect(settings).not.toHaveProperty('faq_threshold');
    await section('Answering').getByRole('button', { name: 'Use the default for: Minimum confidence to answer' }).click();
    await expect(confidence.inputValue()).resolves.toBe('0.38');
    await save();
    settings = await stored();
    expect(settings).not.toHaveProperty('answer_threshold');
  });

  it('stores synonym groups typed one per line, and says in the field what is wrong with one', async () => {
    const synonyms = page.getByLabel(/^Synonyms/);
    await synonyms.fill('delivery, shipping, arrive\n\n parcel ,package ');
    await save();
    expect((await stored()).synonyms).toEqual([['delivery', 'shipping', 'arrive'], ['parcel', 'package']]);
    await synonyms.fill('delivery, shipping\nhome delivery, shipping');
    await saveRefused();
    await expect(page.locator('.field', { has: synonyms }).getByText('Each entry must be a single word (not "home delivery")').count()).resolves.toBe(1);
    expect((await stored()).synonyms).toEqual([['delivery', 'shipping', 'arrive'], ['parcel', 'package']]);
    await synonyms.fill('');
    await save();
    expect(await stored()).not.toHaveProperty('synonyms');
  });

  it('builds a lead form with built-in and custom fields, consent and triggers', async () => {
    const leads = section('Lead form');
    await leads.getByLabel('Ask visitors for their contact details').check();
    await leads.getByRole('button', { name: 'Move Phone up' }).click();
    await leadField('Phone').getByLabel('Required').check();
    await leads.getByLabel('Add a field').selectOption('company');
    await leads.getByLabel('Add a field').selectOption('custom');
    const custom = leads.getByRole('listitem').last();
    await custom.getByLabel('Label shown to visitors').fill('Team size');
    await custom.getByLabel('Type').selectOption('select');
    await custom.getByLabel('Choices').fill('1-10\n11-50\n');
    await custom.getByLabel('Required').check();
    await leads.getByRole('button', { name: 'Remove Name' }).click();
    await leads.getByLabel('Consent text').fill('I agree that Builder Shop may contact me.');
    await leads.getByLabel('Country for phone numbers').fill('de');
    await leads.getByLabel('Before the chat starts').check();
    await leads.getByLabel('After the visitor has sent some messages').check();
    await leads.getByLabel('Number of messages').fill('2');
    await leads.getByLabel('When the bot cannot answer').uncheck();
    await expect(leads.getByLabel('Email new leads').inputValue()).resolves.toBe('sales@example.com');
    await leads.getByLabel('Email new leads').fill('sales@example.com\nboss@example.com');
    await save();

    const expected = {
      enabled: true,
      fields: [
        { name: 'phone', required: true },
        { name: 'email', required: true },
        { name: 'company' },
        { name: 'team_size', label: 'Team size', type: 'select', required: true, options: ['1-10', '11-50'] },
      ],
      triggers: { before_chat: true, after_messages: 2, buying_intent: true, fallback: false, on_request: true },
      consent: 'I agree that Builder Shop may contact me.',
      default_country: 'DE',
    };
    const settings = await stored();
    expect(settings.leads).toEqual(expected);
    expect(settings.notifications).toEqual({ emails: ['sales@example.com', 'boss@example.com'] });
    // What visitors get: the public form with the custom field.
    const form = (await api(`/bots/${botId}/widget`)).config.lead_form;
    expect(form.fields.map((field: { name: string }) => field.name)).toEqual(['phone', 'email', 'company', 'team_size']);
    expect(form).toMatchObject({ consent: expected.consent, before_chat: true, after_messages: 2 });

    // Opened again, the builder shows what is stored.
    await openBuilder();
    await expect(leadField('Team size').getByLabel('Choices').inputValue()).resolves.toBe('1-10\n11-50');
    await expect(leadField('Phone').getByLabel('Required').isChecked()).resolves.toBe(true);
    await expect(section('Lead form').getByLabel('Number of messages').inputValue()).resolves.toBe('2');
    await section('Lead form').screenshot({ path: screenshotPath('builder-lead-form.png') });
  });

  it('shows the server refusing a lead form without email or phone next to the form, and stores nothing', async () => {
    const leads = section('Lead form');
    await leads.getByRole('button', { name: 'Remove Phone' }).click();
    await leads.getByRole('button', { name: 'Remove Email' }).click();
    await saveRefused();
    await expect(leads.getByRole('alert').textContent()).resolves.toMatch(/must include email or phone/);
    await expect(page.locator('.save-bar').getByRole('alert').textContent()).resolves.toContain('see "Lead form" above');
    expect((await stored()).leads.fields).toHaveLength(4);
    await openBuilder();
  });

  it('sets up handoff with phrases, a wait, a time zone and business hours', async () => {
    const handoff = section('Handoff to a person');
    await handoff.getByLabel('More ways visitors ask for a person').fill('speak to sales\nreal person');
    await handoff.getByLabel('Wait for someone to answer for').fill('300');
    await handoff.getByLabel('Time zone of your business hours').selectOption('Europe/Berlin');
    await handoff.getByLabel('Only during business hours').check();
    await handoff.getByLabel('Wednesday: open', { exact: true }).uncheck();
    await handoff.getByLabel('Saturday: open', { exact: true }).check();
    await handoff.getByLabel('Saturday: opens at').fill('10:00');
    await handoff.getByLabel('Saturday: closes at').fill('14:00');
    // Closing before opening: the server refuses, and says so next to the hours.
    await handoff.getByLabel('Monday: closes at').fill('08:00');
    await saveRefused();
    await expect(handoff.getByRole('alert').textContent()).resolves.toMatch(/^Monday hours must be .*opening time first/);
    expect((await stored()).handoff).toEqual({ enabled: true });

    await handoff.getByLabel('Monday: closes at').fill('18:30');
    await save();
    await expect(handoff.getByRole('alert').count()).resolves.toBe(0);
    expect((await stored()).handoff).toEqual({
      enabled: true,
      claim_timeout_seconds: 300,
      time_zone: 'Europe/Berlin',
      phrases: ['speak to sales', 'real person'],
      hours: { mon: ['09:00', '18:30'], tue: ['09:00', '17:00'], wed: [], thu: ['09:00', '17:00'], fri: ['09:00', '17:00'], sat: ['10:00', '14:00'], sun: [] },
    });
    // The widget now shows the "Talk to a person" button.
    expect((await api(`/bots/${botId}/widget`)).config.handoff).toBe(true);
  });

  it('chooses how answers are written among the providers the server has', async () => {
    const routing = section('Model and routing');
    await expect(routing.getByRole('radio', { name: /^Off/ }).isChecked()).resolves.toBe(true);
    await routing.getByRole('radio', { name: /^Built-in model only/ }).check();
    // This server has no built-in model: the owner is told.
    await routing.getByText('This server has no built-in model set up').waitFor();

    await routing.getByRole('radio', { name: /^Online AI service only/ }).check();
    const service = routing.getByRole('combobox', { name: 'Online AI service', exact: true });
    await expect(service.locator('option').allTextContents()).resolves.toEqual(['Choose…', 'openai (gpt-test)']);
    // Without a provider the server refuses remote-only routing.
    await saveRefused();
    await expect(routing.getByRole('alert').textContent()).resolves.toMatch(/Remote must name a provider/);
    expect(await stored()).not.toHaveProperty('routing');

    await service.selectOption('openai');
    await routing.getByLabel('Monthly budget for this bot').fill('25');
    await routing.getByLabel("Hide visitors' emails").check();
    await save();
    // Only what the owner set; the rest follows the server's defaults.
    expect((await stored()).routing).toEqual({ mode: 'remote-only', remote: 'openai', bot_monthly_budget_usd: 25, redact_pii: true });
    await section('Model and routing').screenshot({ path: screenshotPath('builder-routing.png') });
    await section('Handoff to a person').screenshot({ path: screenshotPath('builder-handoff.png') });
    await page.screenshot({ path: screenshotPath('builder.png'), fullPage: true });
  });

  it('kept the settings it has no controls for through every save', async () => {
    const settings = await stored();
    expect(settings.shop_note).toBe('kept');
    for (const key of ['faq_threshold', 'answer_threshold', 'max_sources']) expect(settings).not.toHaveProperty(key);
  });
});

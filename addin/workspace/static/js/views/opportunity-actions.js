/*
 * What a salesperson does from an opportunity besides editing it (issue 19): write an e-mail or
 * send a meeting request to its customer (POST …/opportunities/{id}/email and …/meeting-request,
 * sent through Graph, recorded in the deal's history), create a business project from it
 * (POST …/opportunities/{id}/project, with or without a template) and see its projects with their
 * tasks, and read its change log (GET …/opportunities/{id}/changes).
 */
import { h, field, options, replace, uid } from "../../../shared/dom.js";
import { addMinutes, dateTime, day, localInputValue, money, percent, timeZones, today } from "../../../shared/format.js";
import { t } from "../../../shared/i18n.js";
import { announce, dialog, errorNotice, notice, reportError, show, withBusy } from "../ui.js";

const enc = encodeURIComponent;
const CONTACT_PAGE = 500;
const CONTACT_PAGES = 10; // an account's contacts are looked for among the first 5,000 contacts

// ---- recipients ----------------------------------------------------------------------------

/**
 * The addresses a message to this deal's customer goes to by default: the linked contact's, or the
 * e-mail addresses of the linked account's contacts.
 */
export async function customerAddresses(ctx, record) {
  const link = record.link || {};
  if (link.type === "contact") {
    const contact = await ctx.api.get(`/contacts/${enc(link.id)}`);
    return contact.email_addresses.slice(0, 1);
  }
  if (link.type !== "account") return [];
  const found = [];
  let cursor = null;
  for (let i = 0; i < CONTACT_PAGES; i += 1) {
    const page = await ctx.api.get("/contacts", cursor ? { limit: CONTACT_PAGE, cursor } : { limit: CONTACT_PAGE });
    for (const c of page.items) {
      if (c.account_id === link.id && c.email_addresses.length) found.push(c.email_addresses[0]);
    }
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return found;
}

/**
 * An editable list of addresses: each with a Remove button, an input and an Add button under it.
 * `name` is the API's field ("to", "cc", "attendees"): errors like "to[1]" land next to the list.
 */
class Recipients {
  constructor(label, name, addresses) {
    this.label = label;
    this.name = name;
    this.addresses = [...addresses];
    this.list = h("ul", { class: "value-list", "aria-label": label });
    this.input = h("input", { type: "email", maxlength: 320, autocomplete: "off",
      onkeydown: (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          this.add();
        }
      } });
    this.paint();
  }

  add() {
    const value = this.input.value.trim();
    if (!value) return;
    for (const address of value.split(/[;,\s]+/).filter(Boolean)) {
      if (!this.addresses.some((a) => a.toLowerCase() === address.toLowerCase())) this.addresses.push(address);
    }
    this.input.value = "";
    this.paint();
    announce(t("workspace.opportunityActions.recipientAdded", { address: value }));
    this.input.focus();
  }

  paint() {
    replace(this.list, this.addresses.length
      ? this.addresses.map((address, index) => h("li", { dataset: { field: `${this.name}[${index}]` } },
        h("span", null, address),
        h("button", { type: "button", class: "button small", "aria-label": t("workspace.opportunityActions.removeRecipient", { address }),
          onclick: () => {
            this.addresses.splice(index, 1);
            this.paint();
            announce(t("workspace.opportunityActions.recipientRemoved", { address }));
            (this.list.querySelector("button") || this.input).focus();
          } }, t("workspace.action.remove"))))
      : h("li", { class: "muted" }, t("workspace.opportunityActions.noRecipients")));
  }

  /** The addresses, including one typed but not yet added. */
  values() {
    if (this.input.value.trim()) this.add();
    return [...this.addresses];
  }

  element() {
    if (!this.input.id) this.input.id = uid("recipient");
    const addButton = h("button", { type: "button", class: "button",
      "aria-label": t("workspace.opportunityActions.addRecipientTo", { list: this.label }), onclick: () => this.add() },
    t("workspace.opportunityActions.addRecipient"));
    return h("fieldset", { class: "field", dataset: { field: this.name } },
      h("legend", null, this.label),
      this.list,
      h("label", { for: this.input.id, class: "visually-hidden" }, t("workspace.opportunityActions.addressToAdd", { list: this.label })),
      h("div", { class: "with-button" }, this.input, addButton));
  }
}

// ---- time zone -----------------------------------------------------------------------------

/**
 * The zone meetings are proposed in: the user's Outlook time zone when the API gives it (the user's
 * `time_zone` in GET /api/v1/me), else the browser's.
 */
export function userTimeZone(ctx) {
  const user = ctx.me && ctx.me.user;
  if (user && user.time_zone && user.time_zone !== "UTC") return { zone: user.time_zone, source: "outlook" };
  try {
    return { zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", source: "browser" };
  } catch (ignored) {
    return { zone: "UTC", source: "browser" };
  }
}

/** Next working day at 10:00 (wall-clock). */
function nextWorkingMorning(now = new Date()) {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 10, 0);
  while (start.getDay() === 0 || start.getDay() === 6) start.setDate(start.getDate() + 1);
  return localInputValue(start);
}

// ---- the dialogs ---------------------------------------------------------------------------

function actionsRow(close, submitLabel) {
  return h("div", { class: "dialog-actions" },
    h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel")),
    h("button", { type: "submit", class: "button primary" }, submitLabel));
}

/** "E-mail": to (pre-filled), cc, subject, message. Resolves with the history item sent, or undefined. */
export async function emailDialog(ctx, record, addresses) {
  const to = new Recipients(t("workspace.opportunityActions.to"), "to", addresses);
  const cc = new Recipients(t("workspace.opportunityActions.cc"), "cc", []);
  const subject = h("input", { type: "text", maxlength: 255, value: record.title, autofocus: true });
  const body = h("textarea", { rows: 8 });
  const slot = h("div", { class: "slot" });
  return dialog(t("workspace.opportunityActions.emailTitle", { title: record.title }), (close) => {
    const form = h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const send = form.querySelector("button[type=submit]");
      await withBusy(send, t("workspace.opportunityActions.sending"), async () => {
        try {
          close(await ctx.api.post(`/opportunities/${enc(record.id)}/email`, {
            subject: subject.value, body_html: textToHtml(body.value), to: to.values(), cc: cc.values(),
          }));
        } catch (error) {
          reportError(slot, form, error);
        }
      });
    } },
    slot, to.element(), cc.element(),
    field(t("workspace.opportunityActions.subject"), subject, { name: "subject" }),
    field(t("workspace.opportunityActions.message"), body, { name: "body_html" }),
    actionsRow(close, t("workspace.opportunityActions.send")));
    return form;
  }, { wide: true });
}

/** "Meeting request": attendees (pre-filled), subject, start, end, time zone, location, Teams, message. */
export async function meetingDialog(ctx, record, addresses) {
  const attendees = new Recipients(t("workspace.opportunityActions.attendees"), "attendees", addresses);
  const subject = h("input", { type: "text", maxlength: 255, value: record.title, autofocus: true });
  const startValue = nextWorkingMorning();
  const start = h("input", { type: "datetime-local", step: 900, value: startValue });
  const end = h("input", { type: "datetime-local", step: 900, value: addMinutes(startValue, 30) });
  start.addEventListener("change", () => {
    if (start.value && (!end.value || end.value <= start.value)) end.value = addMinutes(start.value.slice(0, 16), 30);
  });
  const { zone, source } = userTimeZone(ctx);
  const timeZone = options(h("select"), timeZones(zone).map((z) => [z, z]), zone);
  const location = h("input", { type: "text", maxlength: 255 });
  const online = h("input", { type: "checkbox", id: uid("online") });
  const body = h("textarea", { rows: 4 });
  const slot = h("div", { class: "slot" });
  return dialog(t("workspace.opportunityActions.meetingTitle", { title: record.title }), (close) => {
    const form = h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const send = form.querySelector("button[type=submit]");
      await withBusy(send, t("workspace.opportunityActions.sending"), async () => {
        try {
          close(await ctx.api.post(`/opportunities/${enc(record.id)}/meeting-request`, {
            subject: subject.value, start: start.value.slice(0, 16), end: end.value.slice(0, 16), time_zone: timeZone.value,
            location: location.value || null, online_meeting: online.checked, body_html: body.value ? textToHtml(body.value) : null,
            attendees: attendees.values(),
          }));
        } catch (error) {
          reportError(slot, form, error);
        }
      });
    } },
    slot, attendees.element(),
    field(t("workspace.opportunityActions.subject"), subject, { name: "subject" }),
    h("div", { class: "grid-2" },
      field(t("workspace.opportunityActions.start"), start, { name: "start" }),
      field(t("workspace.opportunityActions.end"), end, { name: "end" })),
    field(t("workspace.opportunityActions.timeZone"), timeZone, { name: "time_zone",
      hint: source === "outlook" ? t("workspace.opportunityActions.zoneFromOutlook") : t("workspace.opportunityActions.zoneFromBrowser") }),
    field(t("workspace.opportunityActions.location"), location, { name: "location" }),
    h("div", { class: "field", dataset: { field: "online_meeting" } },
      h("span", { class: "check" }, online, h("label", { for: online.id }, t("workspace.opportunityActions.online")))),
    field(t("workspace.opportunityActions.message"), body, { name: "body_html" }),
    actionsRow(close, t("workspace.opportunityActions.sendRequest")));
    return form;
  }, { wide: true });
}

/** Plain text as the HTML body Graph sends: escaped, line breaks kept. */
function textToHtml(text) {
  const escaped = String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return escaped ? `<p>${escaped.replace(/\r?\n/g, "<br>")}</p>` : "";
}

/** "Create project": template (or none), name (the deal's title), start date. Resolves with the project. */
export async function projectDialog(ctx, record) {
  const templates = (await ctx.api.get("/project-templates")).items;
  const template = options(h("select"), [["", t("workspace.opportunityActions.noTemplate")],
    ...templates.map((x) => [x.id, x.name])], "");
  const name = h("input", { type: "text", maxlength: 200, value: record.title, autofocus: true });
  const start = h("input", { type: "date", value: today() });
  const slot = h("div", { class: "slot" });
  return dialog(t("workspace.opportunityActions.projectTitle"), (close) => {
    const form = h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const create = form.querySelector("button[type=submit]");
      await withBusy(create, t("workspace.opportunityActions.creating"), async () => {
        try {
          const data = { name: name.value, start_date: start.value || null };
          if (template.value) data.template_id = template.value;
          close(await ctx.api.post(`/opportunities/${enc(record.id)}/project`, data));
        } catch (error) {
          reportError(slot, form, error);
        }
      });
    } },
    slot,
    field(t("workspace.opportunityActions.template"), template, { name: "template_id" }),
    field(t("workspace.opportunityActions.projectName"), name, { name: "name", required: true }),
    field(t("workspace.opportunityActions.startDate"), start, { name: "start_date" }),
    actionsRow(close, t("workspace.opportunityActions.create")));
    return form;
  });
}

// ---- the toolbar ---------------------------------------------------------------------------

/**
 * The E-mail / Meeting request / Create project buttons. `after.history()` re-reads the deal's
 * history, `after.projects()` its projects, once something was sent or created.
 */
export function actionButtons(ctx, record, messages, after) {
  const withAddresses = async (button, open, done) => {
    let addresses = [];
    await withBusy(button, t("workspace.loading"), async () => {
      try {
        addresses = await customerAddresses(ctx, record);
      } catch (error) {
        addresses = [];
      }
    });
    const item = await open(ctx, record, addresses);
    if (item) done(item);
  };
  const email = h("button", { type: "button", class: "button", dataset: { keep: "1" }, onclick: () => withAddresses(email, emailDialog, (item) => {
    show(messages, notice("success", t("workspace.opportunityActions.emailSent", { subject: item.subject || "" })));
    after.history();
  }) }, t("workspace.opportunityActions.email"));
  const meeting = h("button", { type: "button", class: "button", dataset: { keep: "1" }, onclick: () => withAddresses(meeting, meetingDialog, (item) => {
    show(messages, notice("success", t("workspace.opportunityActions.meetingSent", { subject: item.subject || "" })));
    after.history();
  }) }, t("workspace.opportunityActions.meeting"));
  const project = h("button", { type: "button", class: "button", dataset: { keep: "1" }, onclick: async () => {
    let created;
    try {
      created = await projectDialog(ctx, record);
    } catch (error) {
      show(messages, errorNotice(error));
      return;
    }
    if (created) {
      show(messages, notice("success", t("workspace.opportunityActions.projectCreated", { name: created.name })));
      after.projects();
    }
  } }, t("workspace.opportunityActions.createProject"));
  return [email, meeting, project];
}

// ---- projects ------------------------------------------------------------------------------

/** The deal's projects, each with its tasks (subject, assignee, due date, done). */
export class ProjectsCard {
  constructor(ctx, record) {
    this.ctx = ctx;
    this.record = record;
    this.body = h("div", { "aria-live": "polite" }, h("p", { class: "muted" }, t("workspace.loading")));
    this.element = h("section", { class: "card", "aria-labelledby": "projects-title", id: "projects-card" },
      h("h2", { id: "projects-title" }, t("workspace.opportunityActions.projects")), this.body);
  }

  async load() {
    try {
      const fresh = await this.ctx.api.get(`/opportunities/${enc(this.record.id)}`);
      const projects = await Promise.all(fresh.projects.map((p) => this.ctx.api.get(`/projects/${enc(p.id)}`)));
      this.paint(projects);
    } catch (error) {
      replace(this.body, errorNotice(error));
    }
  }

  paint(projects) {
    if (!projects.length) {
      replace(this.body, h("p", { class: "muted" }, t("workspace.opportunityActions.noProjects")));
      return;
    }
    replace(this.body, projects.map((project) => {
      const headingId = uid("project");
      return h("div", { class: "project" },
        h("h3", { id: headingId }, project.name),
        project.start_date ? h("p", { class: "muted" }, t("workspace.opportunityActions.starts", { date: day(project.start_date) })) : null,
        project.tasks.length
          ? h("div", { class: "table-wrap" }, h("table", { class: "list", "aria-labelledby": headingId },
            h("thead", null, h("tr", null,
              h("th", { scope: "col" }, t("workspace.opportunityActions.task")),
              h("th", { scope: "col" }, t("workspace.opportunityActions.assignee")),
              h("th", { scope: "col" }, t("workspace.opportunityActions.due")),
              h("th", { scope: "col" }, t("workspace.opportunityActions.done")))),
            h("tbody", null, project.tasks.map((task) => h("tr", null,
              h("td", null, task.subject),
              h("td", null, task.assigned_to ? (this.ctx.memberName(task.assigned_to) || t("workspace.opportunityActions.formerMember")) : "—"),
              h("td", null, task.due_date ? day(task.due_date) : "—"),
              h("td", null, task.done ? t("workspace.opportunityActions.yes") : t("workspace.opportunityActions.no")))))))
          : h("p", { class: "muted" }, t("workspace.opportunityActions.noTasks")));
    }));
  }
}

// ---- change log ----------------------------------------------------------------------------

const CHANGE_FIELDS = {
  stage: "workspace.opportunityActions.field.stage",
  probability: "workspace.opportunityActions.field.probability",
  total: "workspace.opportunityActions.field.total",
  close_date: "workspace.opportunityActions.field.closeDate",
  assigned_to: "workspace.opportunityActions.field.assignedTo",
  link: "workspace.opportunityActions.field.link",
  close_reason: "workspace.opportunityActions.field.closeReason",
};

/** The change log: who, when, which field, from → to, in the page's language and formats. */
export class ChangesCard {
  constructor(ctx, record) {
    this.ctx = ctx;
    this.record = record;
    this.body = h("div", null, h("p", { class: "muted" }, t("workspace.loading")));
    this.linkNames = {};
    this.element = h("section", { class: "card", "aria-labelledby": "changes-title", id: "changes-card" },
      h("h2", { id: "changes-title" }, t("workspace.opportunityActions.changeLog")), this.body);
  }

  async load() {
    try {
      const page = await this.ctx.api.get(`/opportunities/${enc(this.record.id)}/changes`, { limit: 100 });
      await this.nameLinks(page.items);
      this.paint(page.items);
    } catch (error) {
      replace(this.body, errorNotice(error));
    }
  }

  async nameLinks(items) {
    const refs = new Set();
    for (const c of items) {
      if (c.field !== "link") continue;
      for (const v of [c.old_value, c.new_value]) if (v) refs.add(v);
    }
    await Promise.all([...refs].map(async (ref) => {
      const [type, id] = ref.split(":");
      try {
        const rec = await this.ctx.api.get(`/${type === "account" ? "accounts" : "contacts"}/${enc(id)}`);
        this.linkNames[ref] = rec.name || rec.display_name;
      } catch (error) {
        this.linkNames[ref] = t("workspace.opportunityActions.deletedRecord");
      }
    }));
  }

  /** A stored value as a person reads it. */
  shown(fieldName, value) {
    if (value === null || value === undefined || value === "") return "—";
    switch (fieldName) {
      case "stage": {
        const stage = this.ctx.stages.find((s) => s.id === value || s.name === value);
        return stage ? stage.name : value;
      }
      case "probability": return percent(Number(value));
      case "total": return money(value, this.record.currency);
      case "close_date": return day(value);
      case "assigned_to": return this.ctx.memberName(value) || t("workspace.opportunityActions.formerMember");
      case "link": return this.linkNames[value] || value;
      default: return value;
    }
  }

  paint(items) {
    if (!items.length) {
      replace(this.body, h("p", { class: "muted" }, t("workspace.opportunityActions.noChanges")));
      return;
    }
    replace(this.body, h("div", { class: "table-wrap" }, h("table", { class: "list", "aria-labelledby": "changes-title" },
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, t("workspace.opportunityActions.when")),
        h("th", { scope: "col" }, t("workspace.opportunityActions.who")),
        h("th", { scope: "col" }, t("workspace.opportunityActions.what")),
        h("th", { scope: "col" }, t("workspace.opportunityActions.fromTo")))),
      h("tbody", null, items.map((c) => h("tr", null,
        h("td", null, dateTime(c.changed_at)),
        h("td", null, c.user_name || (c.user_id ? this.ctx.memberName(c.user_id) : "") || t("workspace.opportunityActions.system")),
        h("td", null, CHANGE_FIELDS[c.field] ? t(CHANGE_FIELDS[c.field]) : c.field),
        h("td", null, t("workspace.opportunityActions.change", { from: this.shown(c.field, c.old_value), to: this.shown(c.field, c.new_value) }))))))));
  }
}

/*
 * My reminders: the signed-in user's reminders and due sales activities of open deals, soonest first
 * (GET …/reminders?before=…&assigned_to=<me>, sorted by the server), with Done and Snooze.
 *
 * Done: a deal's reminder is cleared (PATCH reminder_at: null); a sales activity is ticked on the deal's
 * checklist (PATCH activities: [{activity_id, done: true}]). Snooze moves a reminder by a day or a week
 * from when it is due, or from now when it is already past (so a snoozed reminder leaves the list until
 * then). A sales activity's due date follows from its stage (the day the deal entered it plus the
 * activities' durations): it cannot be snoozed, and the view says so. Each change sends If-Match with the
 * deal's version read just before.
 */
import { h, options, replace } from "../../../shared/dom.js";
import { day, dateTime, isoDate } from "../../../shared/format.js";
import { errorNotice, notice, show, withBusy } from "../ui.js";
import { t } from "../../../shared/i18n.js";

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
// How far ahead the list looks: "due" is up to the end of that day.
const HORIZONS = { today: 0, week: 7, month: 31 };
const state = { horizon: "week" };

export async function render(ctx) {
  const view = new Reminders(ctx);
  await view.mount();
}

class Reminders {
  constructor(ctx) {
    this.ctx = ctx;
    this.token = 0;
  }

  async mount() {
    const { ctx } = this;
    this.messages = h("div", { class: "slot", id: "reminder-messages" });
    this.list = h("ul", { class: "reminders", "aria-labelledby": "reminders-title" });
    const horizon = options(h("select", { id: "reminders-horizon" }),
      Object.keys(HORIZONS).map((key) => [key, t(`workspace.reminders.horizon.${key}`)]), state.horizon);
    horizon.addEventListener("change", () => {
      state.horizon = horizon.value;
      this.reload();
    });
    replace(ctx.main,
      h("div", { class: "page-head" },
        h("h1", { tabindex: "-1", id: "reminders-title" }, t("workspace.reminders.title")),
        h("span", { class: "spacer" }),
        h("div", { class: "control" }, h("label", { for: horizon.id }, t("workspace.reminders.dueBy")), horizon)),
      h("p", { class: "hint" }, t("workspace.reminders.intro")),
      this.messages,
      this.list);
    await this.reload();
  }

  async reload() {
    const token = ++this.token;
    const before = isoDate(new Date(Date.now() + HORIZONS[state.horizon] * DAY_MS));
    replace(this.list, h("li", { class: "muted" }, t("workspace.loading")));
    try {
      const answer = await this.ctx.api.get("/reminders", { before, assigned_to: this.ctx.me.user.id });
      if (token !== this.token) return;
      this.paint(answer.items);
    } catch (error) {
      if (token !== this.token) return;
      replace(this.list);
      show(this.messages, errorNotice(error));
    }
  }

  paint(items) {
    if (!items.length) {
      replace(this.list, h("li", { class: "muted empty" }, t("workspace.reminders.none")));
      return;
    }
    replace(this.list, items.map((item) => this.row(item)));
  }

  row(item) {
    const isReminder = item.kind === "opportunity";
    const li = h("li", { class: `reminder${item.overdue ? " overdue" : ""}`,
      dataset: { opportunity: item.opportunity_id, kind: item.kind } });
    const about = `reminder-${item.kind}-${item.opportunity_id}-${item.activity_id || "own"}`;
    const button = (how, label) => h("button", { type: "button", class: "button", "aria-describedby": about,
      onclick: (event) => this.act(event.currentTarget, item, li, how) }, label);
    const actions = h("div", { class: "toolbar" },
      button("done", t("workspace.reminders.done")),
      isReminder ? [
        button("day", t("workspace.reminders.snoozeDay")),
        button("week", t("workspace.reminders.snoozeWeek")),
      ] : h("span", { class: "muted small" }, t("workspace.reminders.noSnooze")));
    return replace(li,
      h("div", { class: "reminder-when" },
        h("span", { class: "reminder-due" }, item.due_at ? dateTime(item.due_at) : day(item.due)),
        item.overdue ? h("span", { class: "badge badge-danger" }, t("workspace.reminders.overdue")) : null),
      h("div", { class: "reminder-what", id: about },
        h("span", { class: "badge badge-neutral" }, isReminder ? t("workspace.reminders.kindReminder") : t("workspace.reminders.kindActivity")),
        " ",
        h("a", { href: `#/opportunities/${encodeURIComponent(item.opportunity_id)}` }, item.title),
        isReminder ? null : h("span", { class: "reminder-name" }, item.name)),
      actions);
  }

  /** Done or snooze (how: "done" | "day" | "week"), with the deal's current version. */
  async act(button, item, li, how) {
    const { ctx } = this;
    const path = `/opportunities/${encodeURIComponent(item.opportunity_id)}`;
    await withBusy(button, t("workspace.saving"), async () => {
      try {
        const deal = await ctx.api.get(path);
        let body;
        let said;
        if (item.kind === "activity") {
          body = { activities: [{ activity_id: item.activity_id, done: true }] };
          said = t("workspace.reminders.activityDone", { name: item.name, title: item.title });
        } else if (how === "done") {
          body = { reminder_at: null };
          said = t("workspace.reminders.cleared", { title: item.title });
        } else {
          const due = deal.reminder_at ? new Date(deal.reminder_at).getTime() : Date.now();
          // From now on a whole minute when it is past, as a person sets a reminder (and as the CSV's
          // Reminder column keeps it); a reminder still to come moves by exactly a day or a week.
          const now = Math.ceil(Date.now() / MINUTE_MS) * MINUTE_MS;
          const moved = new Date(Math.max(due, now) + (how === "week" ? 7 : 1) * DAY_MS);
          body = { reminder_at: moved.toISOString() };
          said = t("workspace.reminders.snoozed", { title: item.title, when: dateTime(moved.toISOString()) });
        }
        await ctx.api.patch(path, body, deal.version);
        show(this.messages, notice("success", said));
        ctx.announce(said);
        await this.reload();
        // The row is gone: the focus goes to the next thing to do, else to the title.
        (this.list.querySelector("button") || ctx.main.querySelector("h1")).focus();
      } catch (error) {
        show(this.messages, errorNotice(error));
      }
    });
  }
}

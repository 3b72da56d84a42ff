/*
 * "Send meeting request": subject, start, duration and time zone (the browser's by default) →
 * POST …/opportunities/{id}/meeting-request; the server creates the event with the contact as
 * attendee and Outlook sends the invitation.
 */
import { errorNotice, notice, section, withBusy } from "./components.js";
import { field, h, replace, uid } from "../../shared/dom.js";
import { addMinutes, localInputValue, timeZones } from "../../shared/format.js";
import { t } from "../../shared/i18n.js";
import { counterpart } from "./views-item.js";

const DURATIONS = [15, 30, 45, 60, 90, 120];
const DEFAULT_DURATION = 30;

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch (ignored) {
    return "UTC";
  }
}

/** Next working day at 10:00, local wall-clock time. */
function defaultStart(now = new Date()) {
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 10, 0);
  while (start.getDay() === 0 || start.getDay() === 6) start.setDate(start.getDate() + 1);
  return localInputValue(start);
}

function durationLabel(minutes) {
  if (minutes < 60) return t("pane.meeting.minutes", { count: minutes });
  return t("pane.meeting.hours", { count: minutes / 60 });
}

export function meetingRequestForm(pane, opportunity, refreshHistory) {
  const formId = uid("meeting-form");
  const toggle = h("button", { type: "button", class: "button", "aria-expanded": "false", "aria-controls": formId },
    t("pane.meeting.open"));
  const zone = browserZone();
  const subject = h("input", { type: "text", name: "subject", maxlength: "255", required: true, value: opportunity.title });
  const start = h("input", { type: "datetime-local", name: "start", required: true, value: defaultStart(), step: "900" });
  const duration = h("select", { name: "duration" },
    DURATIONS.map((m) => h("option", { value: String(m), selected: m === DEFAULT_DURATION }, durationLabel(m))));
  const timeZone = h("select", { name: "time_zone" }, timeZones(zone).map((z) => h("option", { value: z, selected: z === zone }, z)));
  const location = h("input", { type: "text", name: "location", maxlength: "255" });
  const person = pane.item ? counterpart(pane.item) : null;
  const needsAttendee = opportunity.link.type === "account";
  const attendee = h("input", { type: "email", name: "attendee", maxlength: "320", autocomplete: "email",
    value: needsAttendee && person ? person.address : "" });
  const slot = h("div", { class: "slot" });
  const send = h("button", { type: "submit", class: "button primary" }, t("pane.meeting.send"));

  const form = h("form", {
    id: formId, class: "form", hidden: true, novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!subject.value.trim() || !start.value) {
        replace(slot, notice("error", t("pane.meeting.needSubject")));
        (subject.value.trim() ? start : subject).focus();
        return;
      }
      if (needsAttendee && !attendee.value.trim()) {
        replace(slot, notice("error", t("pane.meeting.needAttendee")));
        attendee.focus();
        return;
      }
      const startValue = start.value.slice(0, 16);
      const body = {
        subject: subject.value.trim(),
        start: startValue,
        end: addMinutes(startValue, Number(duration.value)),
        time_zone: timeZone.value,
      };
      if (location.value.trim()) body.location = location.value.trim();
      if (attendee.value.trim()) body.attendees = [attendee.value.trim()];
      await withBusy(send, t("pane.busy.sending"), async () => {
        try {
          await pane.api.post(pane.ws(`/opportunities/${encodeURIComponent(opportunity.id)}/meeting-request`), body);
          replace(slot, notice("success", t("pane.meeting.sent"), t("pane.meeting.sentText")));
          pane.announce(t("pane.meeting.sent"));
          await refreshHistory();
        } catch (error) {
          replace(slot, errorNotice(pane, error));
        }
      });
    },
  },
  field(t("pane.meeting.subject"), subject),
  field(t("pane.meeting.start"), start),
  h("div", { class: "row" }, field(t("pane.meeting.duration"), duration), field(t("pane.meeting.timeZone"), timeZone)),
  field(needsAttendee ? t("pane.meeting.attendeeAddress") : t("pane.meeting.attendeeOptional"), attendee,
    { hint: needsAttendee ? t("pane.meeting.attendeeHintAccount") : t("pane.meeting.attendeeHintContact") }),
  field(t("pane.meeting.location"), location),
  slot, send);

  toggle.addEventListener("click", () => {
    const open = form.hidden;
    form.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) subject.focus();
  });
  return section("meeting-request", t("pane.meeting.title"), toggle, form);
}

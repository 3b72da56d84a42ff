/*
 * Customisation (BCM: only the database owner): sales stages and their activities (add, rename,
 * reorder with arrow buttons, default, delete with a replacement and "move activities"), project
 * templates, and the Type / Payment terms / Source lists. Members see the same dialogs; the API
 * refuses their stage changes with 403 and the dialog says so.
 */
import { h, field, options, replace } from "../../../shared/dom.js";
import { announce, confirmAction, dialog, errorNotice, notice, reportError, show } from "../ui.js";
import { editListDialog } from "./dialogs.js";

export async function render(ctx) {
  await ctx.refreshStages();
  const templates = (await ctx.api.get("/project-templates")).items;
  const owner = ctx.isOwner();
  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Customise")),
    owner ? null : h("div", { class: "slot" }, notice("info", "Only the workspace owner can change the sales stages and activities.",
      "You can look at them, and edit the Type, Payment terms and Source lists.")),
    h("div", { class: "dash" },
      h("section", { class: "card", "aria-labelledby": "stages-title" },
        h("div", { class: "section-head" }, h("h2", { id: "stages-title" }, "Sales stages and activities"),
          h("button", { type: "button", class: "button primary", onclick: async () => { await stagesDialog(ctx); render(ctx); } },
            "Edit sales stages…")),
        h("ol", { class: "mini-list" }, ctx.stages.map((s) => h("li", null,
          h("span", null, s.name, s.is_default ? h("span", { class: "badge badge-brand" }, " Default") : null),
          h("span", { class: "muted" }, s.built_in ? "built in" : `${s.activities.length} activit${s.activities.length === 1 ? "y" : "ies"}`))))),
      h("section", { class: "card", "aria-labelledby": "templates-title" },
        h("div", { class: "section-head" }, h("h2", { id: "templates-title" }, "Project templates"),
          h("button", { type: "button", class: "button", onclick: async () => { await templatesDialog(ctx); render(ctx); } },
            "Edit project templates…")),
        templates.length ? h("ul", { class: "mini-list" }, templates.map((t) => h("li", null, h("span", null, t.name),
          h("span", { class: "muted" }, `${t.tasks.length} task${t.tasks.length === 1 ? "" : "s"}`))))
          : h("p", { class: "muted" }, "No project templates yet.")),
      h("section", { class: "card wide", "aria-labelledby": "lists-title" },
        h("h2", { id: "lists-title" }, "Lists"),
        h("div", { class: "toolbar" }, [["type", "Type"], ["payment_terms", "Payment terms"], ["source", "Source"]].map(([name, label]) =>
          h("button", { type: "button", class: "button", onclick: () => editListDialog(ctx, name, label) }, `Edit this list: ${label}…`))))));
}

// ---- sales stages and activities ----------------------------------------------------------------

function stagesDialog(ctx) {
  return dialog("Sales stages and activities", () => {
    const slot = h("div", { class: "slot", id: "stages-messages" });
    const list = h("ol", { class: "stage-list", "aria-label": "Sales stages in order" });
    const wrap = h("div", null, slot, list);
    const act = async (fn, done) => {
      replace(slot);
      try {
        await fn();
        await ctx.refreshStages();
        paint();
        if (done) {
          show(slot, notice("success", done));
          announce(done);
        }
      } catch (error) {
        show(slot, errorNotice(error));
      }
    };
    const api = ctx.api;
    const paint = () => {
      const open = ctx.stages.filter((s) => !s.outcome);
      replace(list, ctx.stages.map((stage) => stageItem(ctx, stage, open, act)));
    };
    paint();
    const name = h("input", { type: "text", maxlength: 100, id: "new-stage-name" });
    const form = h("form", { class: "inline-form", onsubmit: (event) => {
      event.preventDefault();
      const value = name.value;
      act(() => api.post("/sales-stages", { name: value }), `Stage “${value}” added.`).then(() => { name.value = ""; });
    } }, field("New stage", name), h("button", { type: "submit", class: "button" }, "Add stage"));
    return [wrap, form, h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button primary", onclick: (e) => e.currentTarget.closest("dialog").close() }, "Close"))];
  }, { wide: true });
}

function stageItem(ctx, stage, open, act) {
  const api = ctx.api;
  const path = `/sales-stages/${encodeURIComponent(stage.id)}`;
  const item = h("li", { class: `stage-item${stage.built_in ? " built-in" : ""}`, dataset: { stage: stage.name } });
  const row = h("div", { class: "stage-row" });
  const index = open.indexOf(stage);
  const showName = () => replace(row,
    h("span", { class: "stage-name" }, stage.name, stage.is_default ? h("span", { class: "badge badge-brand" }, " Default") : null,
      stage.built_in ? h("span", { class: "muted" }, " (built in)") : null),
    stage.built_in ? null : [
      h("button", { type: "button", class: "button small", onclick: rename }, "Rename", h("span", { class: "visually-hidden" }, ` ${stage.name}`)),
      h("button", { type: "button", class: "button small icon", "aria-label": `Move ${stage.name} up`, disabled: index <= 0,
        onclick: () => act(() => api.patch(path, { position: stage.position - 1 }), `${stage.name} moved up.`) }, "↑"),
      h("button", { type: "button", class: "button small icon", "aria-label": `Move ${stage.name} down`, disabled: index >= open.length - 1,
        onclick: () => act(() => api.patch(path, { position: stage.position + 1 }), `${stage.name} moved down.`) }, "↓"),
      h("button", { type: "button", class: "button small", onclick: () => act(() => api.patch(path, { is_default: !stage.is_default }),
        stage.is_default ? "The default stage was cleared." : `${stage.name} is the default for new opportunities.`) },
      stage.is_default ? "Clear default" : "Use as default", h("span", { class: "visually-hidden" }, ` (${stage.name})`)),
      h("button", { type: "button", class: "button small", onclick: askDelete }, "Delete…", h("span", { class: "visually-hidden" }, ` ${stage.name}`)),
    ]);
  function rename() {
    const input = h("input", { type: "text", value: stage.name, maxlength: 100, "aria-label": `New name for ${stage.name}` });
    const form = h("form", { class: "stage-row", onsubmit: (event) => {
      event.preventDefault();
      act(() => api.patch(path, { name: input.value }), `Stage renamed to “${input.value}”.`);
    } }, input, h("button", { type: "submit", class: "button small primary" }, "Save name"),
    h("button", { type: "button", class: "button small", onclick: showName }, "Cancel"));
    replace(row, form);
    input.focus();
    input.select();
  }
  function askDelete() {
    const others = ctx.stages.filter((s) => s.id !== stage.id);
    const replacement = options(h("select", { id: `replace-${stage.id}` }), [["", "(no stage)"], ...others.map((s) => [s.id, s.name])], "");
    const move = h("input", { type: "checkbox", id: `move-${stage.id}` });
    const box = h("div", { class: "confirm-box", role: "group", "aria-label": `Delete ${stage.name}` },
      h("p", null, `Opportunities in “${stage.name}” move to the replacement stage (or have no stage).`),
      field("Replacement stage", replacement),
      h("p", { class: "check" }, move, h("label", { for: move.id }, "Move its sales activities to the top of the replacement stage")),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "button danger", onclick: () => act(() => api.del(path, null, {
          replace_with: replacement.value || null, move_activities: move.checked && replacement.value ? "true" : "false",
        }), `Stage “${stage.name}” deleted.`) }, "Delete stage"),
        h("button", { type: "button", class: "button", onclick: () => box.remove() }, "Cancel")));
    item.append(box);
    replacement.focus();
  }
  showName();
  item.append(row);
  if (!stage.built_in) item.append(activityList(ctx, stage, act));
  return item;
}

function activityList(ctx, stage, act) {
  const api = ctx.api;
  const base = `/sales-stages/${encodeURIComponent(stage.id)}/activities`;
  const list = h("ul", { class: "activity-list", "aria-label": `Sales activities of ${stage.name}` });
  stage.activities.forEach((activity, index) => {
    const path = `${base}/${encodeURIComponent(activity.id)}`;
    const li = h("li");
    const showRow = () => replace(li,
      h("span", { class: "activity-name" }, activity.name,
        h("span", { class: "muted" }, ` · ${activity.duration_days} day${activity.duration_days === 1 ? "" : "s"}${activity.reminder ? " · reminder" : ""}`)),
      h("button", { type: "button", class: "button small", onclick: edit }, "Edit", h("span", { class: "visually-hidden" }, ` ${activity.name}`)),
      h("button", { type: "button", class: "button small icon", "aria-label": `Move ${activity.name} up`, disabled: index === 0,
        onclick: () => act(() => api.patch(path, { position: index - 1 }), `${activity.name} moved up.`) }, "↑"),
      h("button", { type: "button", class: "button small icon", "aria-label": `Move ${activity.name} down`, disabled: index === stage.activities.length - 1,
        onclick: () => act(() => api.patch(path, { position: index + 1 }), `${activity.name} moved down.`) }, "↓"),
      h("button", { type: "button", class: "button small", onclick: async () => {
        if (await confirmAction(`Delete “${activity.name}”?`, "It is removed from the stage and from every opportunity's checklist, even where it was done.")) {
          act(() => api.del(path), `Activity “${activity.name}” deleted.`);
        }
      } }, "Delete", h("span", { class: "visually-hidden" }, ` ${activity.name}`)));
    function edit() {
      const name = h("input", { type: "text", value: activity.name, maxlength: 200, "aria-label": "Activity name" });
      const days = h("input", { type: "number", min: 0, value: activity.duration_days, "aria-label": "Duration in days" });
      const reminder = h("input", { type: "checkbox", checked: activity.reminder, id: `rem-${activity.id}` });
      replace(li, h("form", { class: "stage-row", onsubmit: (event) => {
        event.preventDefault();
        act(() => api.patch(path, { name: name.value, duration_days: Number(days.value || 0), reminder: reminder.checked }),
          `Activity “${name.value}” saved.`);
      } }, name, days, h("span", { class: "muted" }, "days"), h("span", { class: "check" }, reminder, h("label", { for: reminder.id }, "Reminder")),
      h("button", { type: "submit", class: "button small primary" }, "Save"),
      h("button", { type: "button", class: "button small", onclick: showRow }, "Cancel")));
      name.focus();
    }
    showRow();
    list.append(li);
  });
  const name = h("input", { type: "text", maxlength: 200, "aria-label": `New activity for ${stage.name}`, placeholder: "New activity" });
  const days = h("input", { type: "number", min: 0, value: 0, "aria-label": "Duration in days" });
  const reminder = h("input", { type: "checkbox", id: `new-rem-${stage.id}` });
  list.append(h("li", null, h("form", { class: "stage-row", onsubmit: (event) => {
    event.preventDefault();
    act(() => api.post(base, { name: name.value, duration_days: Number(days.value || 0), reminder: reminder.checked }),
      `Activity “${name.value}” added to ${stage.name}.`);
  } }, name, days, h("span", { class: "muted" }, "days"), h("span", { class: "check" }, reminder, h("label", { for: reminder.id }, "Reminder")),
  h("button", { type: "submit", class: "button small" }, "Add activity"))));
  return list;
}

// ---- project templates -------------------------------------------------------------------------

function templatesDialog(ctx) {
  return dialog("Project templates", () => {
    const slot = h("div", { class: "slot" });
    const list = h("div");
    const load = async () => {
      try {
        const templates = (await ctx.api.get("/project-templates")).items;
        replace(list, templates.map((t) => templateForm(ctx, t, slot, load)), templateForm(ctx, null, slot, load));
      } catch (error) {
        show(slot, errorNotice(error));
      }
    };
    load();
    return [slot, list, h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button primary", onclick: (e) => e.currentTarget.closest("dialog").close() }, "Close"))];
  }, { wide: true });
}

function templateForm(ctx, template, slot, reload) {
  const name = h("input", { type: "text", value: template ? template.name : "", maxlength: 200 });
  const description = h("input", { type: "text", value: template ? (template.description || "") : "", maxlength: 4000 });
  const tasks = template ? template.tasks.map((t) => ({ ...t })) : [];
  const taskList = h("ul", { class: "value-list", "aria-label": "Tasks" });
  const paint = () => replace(taskList, tasks.map((task, index) => {
    const subject = h("input", { type: "text", value: task.subject, maxlength: 300, "aria-label": `Task ${index + 1} subject`,
      oninput: (e) => { task.subject = e.target.value; } });
    const offset = h("input", { type: "number", value: task.offset_days, class: "qty", "aria-label": `Task ${index + 1}: days after the start`,
      oninput: (e) => { task.offset_days = Number(e.target.value || 0); } });
    return h("li", { dataset: { field: `tasks[${index}]` } }, subject, offset,
      h("button", { type: "button", class: "button small", onclick: () => { tasks.splice(index, 1); paint(); } }, "Remove"));
  }));
  paint();
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const body = { name: name.value, description: description.value || null, tasks };
    try {
      if (template) await ctx.api.patch(`/project-templates/${encodeURIComponent(template.id)}`, body, template.version);
      else await ctx.api.post("/project-templates", body);
      announce("Project template saved.");
      await reload();
      show(slot, notice("success", `Template “${body.name}” saved.`));
    } catch (error) {
      reportError(slot, form, error);
    }
  } },
  h("h3", null, template ? template.name : "New template"),
  h("div", { class: "grid-2" }, field("Name", name, { name: "name" }), field("Description", description, { name: "description" })),
  h("p", { class: "field-label" }, "Tasks (subject, days after the project's start)"), taskList,
  h("div", { class: "toolbar" },
    h("button", { type: "button", class: "button small", onclick: () => { tasks.push({ subject: "", offset_days: 0 }); paint(); } }, "Add task"),
    h("button", { type: "submit", class: "button small primary" }, template ? "Save template" : "Create template"),
    template ? h("button", { type: "button", class: "button small", onclick: async () => {
      if (!await confirmAction(`Delete “${template.name}”?`, "Projects made from it keep their tasks.")) return;
      try {
        await ctx.api.del(`/project-templates/${encodeURIComponent(template.id)}`, template.version);
        await reload();
      } catch (error) {
        show(slot, errorNotice(error));
      }
    } }, "Delete") : null));
  return form;
}

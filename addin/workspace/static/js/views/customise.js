/*
 * Customisation (BCM: only the database owner): sales stages and their activities (add, rename,
 * reorder with arrow buttons, default, delete with a replacement and "move activities"), project
 * templates, and the Type / Payment terms / Source / Close reason lists. Members see the same dialogs; the API
 * refuses their stage changes with 403 and the dialog says so.
 */
import { h, field, options, replace } from "../../../shared/dom.js";
import { announce, confirmAction, dialog, errorNotice, notice, reportError, show } from "../ui.js";
import { editListDialog } from "./dialogs.js";
import { t } from "../../../shared/i18n.js";

export async function render(ctx) {
  await ctx.refreshStages();
  const templates = (await ctx.api.get("/project-templates")).items;
  const owner = ctx.isOwner();
  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, t("workspace.customise.title"))),
    owner ? null : h("div", { class: "slot" }, notice("info", t("workspace.customise.ownerOnly"),
      t("workspace.customise.ownerOnlyText"))),
    h("div", { class: "dash" },
      h("section", { class: "card", "aria-labelledby": "stages-title" },
        h("div", { class: "section-head" }, h("h2", { id: "stages-title" }, t("workspace.customise.stages")),
          h("button", { type: "button", class: "button primary", onclick: async () => { await stagesDialog(ctx); render(ctx); } },
            t("workspace.customise.editStages"))),
        h("ol", { class: "mini-list" }, ctx.stages.map((s) => h("li", null,
          h("span", null, s.name, s.is_default ? h("span", { class: "badge badge-brand" }, t("workspace.customise.default")) : null),
          h("span", { class: "muted" }, s.built_in ? t("workspace.customise.builtIn") : t("workspace.customise.activityCount", { count: s.activities.length })))))),
      h("section", { class: "card", "aria-labelledby": "templates-title" },
        h("div", { class: "section-head" }, h("h2", { id: "templates-title" }, t("workspace.templates.title")),
          h("button", { type: "button", class: "button", onclick: async () => { await templatesDialog(ctx); render(ctx); } },
            t("workspace.templates.edit"))),
        templates.length ? h("ul", { class: "mini-list" }, templates.map((one) => h("li", null, h("span", null, one.name),
          h("span", { class: "muted" }, t("workspace.templates.taskCount", { count: one.tasks.length })))))
          : h("p", { class: "muted" }, t("workspace.templates.none"))),
      h("section", { class: "card wide", "aria-labelledby": "lists-title" },
        h("h2", { id: "lists-title" }, t("workspace.customise.lists")),
        h("div", { class: "toolbar" }, [["type", t("workspace.field.type")], ["payment_terms", t("workspace.field.paymentTerms")],
          ["source", t("workspace.field.source")], ["close_reason", t("workspace.closeReasons.field")]].map(([name, label]) =>
          h("button", { type: "button", class: "button", onclick: () => editListDialog(ctx, name, label) },
            t("workspace.customise.editList", { list: label })))))));
}

// ---- sales stages and activities ----------------------------------------------------------------

function stagesDialog(ctx) {
  return dialog(t("workspace.customise.stages"), () => {
    const slot = h("div", { class: "slot", id: "stages-messages" });
    const list = h("ol", { class: "stage-list", "aria-label": t("workspace.customise.stagesInOrder") });
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
      act(() => api.post("/sales-stages", { name: value }), t("workspace.customise.stageAdded", { name: value })).then(() => { name.value = ""; });
    } }, field(t("workspace.customise.newStage"), name), h("button", { type: "submit", class: "button" }, t("workspace.customise.addStage")));
    return [wrap, form, h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button primary", onclick: (e) => e.currentTarget.closest("dialog").close() }, t("workspace.action.close")))];
  }, { wide: true });
}

function stageItem(ctx, stage, open, act) {
  const api = ctx.api;
  const path = `/sales-stages/${encodeURIComponent(stage.id)}`;
  const item = h("li", { class: `stage-item${stage.built_in ? " built-in" : ""}`, dataset: { stage: stage.name } });
  const row = h("div", { class: "stage-row" });
  const index = open.indexOf(stage);
  const showName = () => replace(row,
    h("span", { class: "stage-name" }, stage.name, stage.is_default ? h("span", { class: "badge badge-brand" }, t("workspace.customise.default")) : null,
      stage.built_in ? h("span", { class: "muted" }, t("workspace.customise.builtInNote")) : null),
    stage.built_in ? null : [
      h("button", { type: "button", class: "button small", onclick: rename }, t("workspace.customise.rename"), h("span", { class: "visually-hidden" }, ` ${stage.name}`)),
      h("button", { type: "button", class: "button small icon", "aria-label": t("workspace.moveUp", { name: stage.name }), disabled: index <= 0,
        onclick: () => act(() => api.patch(path, { position: stage.position - 1 }), t("workspace.movedUp", { name: stage.name })) }, "↑"),
      h("button", { type: "button", class: "button small icon", "aria-label": t("workspace.moveDown", { name: stage.name }), disabled: index >= open.length - 1,
        onclick: () => act(() => api.patch(path, { position: stage.position + 1 }), t("workspace.movedDown", { name: stage.name })) }, "↓"),
      h("button", { type: "button", class: "button small", onclick: () => act(() => api.patch(path, { is_default: !stage.is_default }),
        stage.is_default ? t("workspace.customise.defaultCleared") : t("workspace.customise.defaultSet", { name: stage.name })) },
      stage.is_default ? t("workspace.customise.clearDefault") : t("workspace.customise.useAsDefault"), h("span", { class: "visually-hidden" }, ` (${stage.name})`)),
      h("button", { type: "button", class: "button small", onclick: askDelete }, t("workspace.customise.deleteMenu"), h("span", { class: "visually-hidden" }, ` ${stage.name}`)),
    ]);
  function rename() {
    const input = h("input", { type: "text", value: stage.name, maxlength: 100, "aria-label": t("workspace.customise.newName", { name: stage.name }) });
    const form = h("form", { class: "stage-row", onsubmit: (event) => {
      event.preventDefault();
      act(() => api.patch(path, { name: input.value }), t("workspace.customise.renamed", { name: input.value }));
    } }, input, h("button", { type: "submit", class: "button small primary" }, t("workspace.customise.saveName")),
    h("button", { type: "button", class: "button small", onclick: showName }, t("workspace.action.cancel")));
    replace(row, form);
    input.focus();
    input.select();
  }
  function askDelete() {
    const others = ctx.stages.filter((s) => s.id !== stage.id);
    const replacement = options(h("select", { id: `replace-${stage.id}` }), [["", t("workspace.customise.noStage")], ...others.map((s) => [s.id, s.name])], "");
    const move = h("input", { type: "checkbox", id: `move-${stage.id}` });
    const box = h("div", { class: "confirm-box", role: "group", "aria-label": t("workspace.customise.deleteStageLabel", { name: stage.name }) },
      h("p", null, t("workspace.customise.deleteStageText", { name: stage.name })),
      field(t("workspace.customise.replacement"), replacement),
      h("p", { class: "check" }, move, h("label", { for: move.id }, t("workspace.customise.moveActivities"))),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "button danger", onclick: () => act(() => api.del(path, null, {
          replace_with: replacement.value || null, move_activities: move.checked && replacement.value ? "true" : "false",
        }), t("workspace.customise.stageDeleted", { name: stage.name })) }, t("workspace.customise.deleteStage")),
        h("button", { type: "button", class: "button", onclick: () => box.remove() }, t("workspace.action.cancel"))));
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
  const list = h("ul", { class: "activity-list", "aria-label": t("workspace.customise.activitiesOf", { name: stage.name }) });
  stage.activities.forEach((activity, index) => {
    const path = `${base}/${encodeURIComponent(activity.id)}`;
    const li = h("li");
    const showRow = () => replace(li,
      h("span", { class: "activity-name" }, activity.name,
        h("span", { class: "muted" }, t("workspace.customise.activityFacts", { days: activity.duration_days, reminder: activity.reminder ? "yes" : "no" }))),
      h("button", { type: "button", class: "button small", onclick: edit }, t("workspace.customise.edit"), h("span", { class: "visually-hidden" }, ` ${activity.name}`)),
      h("button", { type: "button", class: "button small icon", "aria-label": t("workspace.moveUp", { name: activity.name }), disabled: index === 0,
        onclick: () => act(() => api.patch(path, { position: index - 1 }), t("workspace.movedUp", { name: activity.name })) }, "↑"),
      h("button", { type: "button", class: "button small icon", "aria-label": t("workspace.moveDown", { name: activity.name }), disabled: index === stage.activities.length - 1,
        onclick: () => act(() => api.patch(path, { position: index + 1 }), t("workspace.movedDown", { name: activity.name })) }, "↓"),
      h("button", { type: "button", class: "button small", onclick: async () => {
        if (await confirmAction(t("workspace.deleteNamed", { name: activity.name }), t("workspace.customise.deleteActivityText"))) {
          act(() => api.del(path), t("workspace.customise.activityDeleted", { name: activity.name }));
        }
      } }, t("workspace.action.delete"), h("span", { class: "visually-hidden" }, ` ${activity.name}`)));
    function edit() {
      const name = h("input", { type: "text", value: activity.name, maxlength: 200, "aria-label": t("workspace.customise.activityName") });
      const days = h("input", { type: "number", min: 0, value: activity.duration_days, "aria-label": t("workspace.customise.durationDays") });
      const reminder = h("input", { type: "checkbox", checked: activity.reminder, id: `rem-${activity.id}` });
      replace(li, h("form", { class: "stage-row", onsubmit: (event) => {
        event.preventDefault();
        act(() => api.patch(path, { name: name.value, duration_days: Number(days.value || 0), reminder: reminder.checked }),
          t("workspace.customise.activitySaved", { name: name.value }));
      } }, name, days, h("span", { class: "muted" }, t("workspace.customise.days")), h("span", { class: "check" }, reminder, h("label", { for: reminder.id }, t("workspace.opportunity.reminder"))),
      h("button", { type: "submit", class: "button small primary" }, t("workspace.action.save")),
      h("button", { type: "button", class: "button small", onclick: showRow }, t("workspace.action.cancel"))));
      name.focus();
    }
    showRow();
    list.append(li);
  });
  const name = h("input", { type: "text", maxlength: 200, "aria-label": t("workspace.customise.newActivityFor", { name: stage.name }), placeholder: t("workspace.customise.newActivity") });
  const days = h("input", { type: "number", min: 0, value: 0, "aria-label": t("workspace.customise.durationDays") });
  const reminder = h("input", { type: "checkbox", id: `new-rem-${stage.id}` });
  list.append(h("li", null, h("form", { class: "stage-row", onsubmit: (event) => {
    event.preventDefault();
    act(() => api.post(base, { name: name.value, duration_days: Number(days.value || 0), reminder: reminder.checked }),
      t("workspace.customise.activityAdded", { name: name.value, stage: stage.name }));
  } }, name, days, h("span", { class: "muted" }, t("workspace.customise.days")), h("span", { class: "check" }, reminder, h("label", { for: reminder.id }, t("workspace.opportunity.reminder"))),
  h("button", { type: "submit", class: "button small" }, t("workspace.customise.addActivity")))));
  return list;
}

// ---- project templates -------------------------------------------------------------------------

function templatesDialog(ctx) {
  return dialog(t("workspace.templates.title"), () => {
    const slot = h("div", { class: "slot" });
    const list = h("div");
    const load = async () => {
      try {
        const templates = (await ctx.api.get("/project-templates")).items;
        replace(list, templates.map((one) => templateForm(ctx, one, slot, load)), templateForm(ctx, null, slot, load));
      } catch (error) {
        show(slot, errorNotice(error));
      }
    };
    load();
    return [slot, list, h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button primary", onclick: (e) => e.currentTarget.closest("dialog").close() }, t("workspace.action.close")))];
  }, { wide: true });
}

function templateForm(ctx, template, slot, reload) {
  const name = h("input", { type: "text", value: template ? template.name : "", maxlength: 200 });
  const description = h("input", { type: "text", value: template ? (template.description || "") : "", maxlength: 4000 });
  const tasks = template ? template.tasks.map((task) => ({ ...task })) : [];
  const taskList = h("ul", { class: "value-list", "aria-label": t("workspace.templates.tasks") });
  const paint = () => replace(taskList, tasks.map((task, index) => {
    const subject = h("input", { type: "text", value: task.subject, maxlength: 300, "aria-label": t("workspace.templates.taskSubject", { n: index + 1 }),
      oninput: (e) => { task.subject = e.target.value; } });
    const offset = h("input", { type: "number", value: task.offset_days, class: "qty", "aria-label": t("workspace.templates.taskOffset", { n: index + 1 }),
      oninput: (e) => { task.offset_days = Number(e.target.value || 0); } });
    return h("li", { dataset: { field: `tasks[${index}]` } }, subject, offset,
      h("button", { type: "button", class: "button small", onclick: () => { tasks.splice(index, 1); paint(); } }, t("workspace.action.remove")));
  }));
  paint();
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const body = { name: name.value, description: description.value || null, tasks };
    try {
      if (template) await ctx.api.patch(`/project-templates/${encodeURIComponent(template.id)}`, body, template.version);
      else await ctx.api.post("/project-templates", body);
      announce(t("workspace.templates.saved"));
      await reload();
      show(slot, notice("success", t("workspace.templates.savedNamed", { name: body.name })));
    } catch (error) {
      reportError(slot, form, error);
    }
  } },
  h("h3", null, template ? template.name : t("workspace.templates.new")),
  h("div", { class: "grid-2" }, field(t("workspace.records.name"), name, { name: "name" }), field(t("workspace.field.description"), description, { name: "description" })),
  h("p", { class: "field-label" }, t("workspace.templates.tasksLabel")), taskList,
  h("div", { class: "toolbar" },
    h("button", { type: "button", class: "button small", onclick: () => { tasks.push({ subject: "", offset_days: 0 }); paint(); } }, t("workspace.templates.addTask")),
    h("button", { type: "submit", class: "button small primary" }, template ? t("workspace.templates.save") : t("workspace.templates.create")),
    template ? h("button", { type: "button", class: "button small", onclick: async () => {
      if (!await confirmAction(t("workspace.deleteNamed", { name: template.name }), t("workspace.templates.deleteText"))) return;
      try {
        await ctx.api.del(`/project-templates/${encodeURIComponent(template.id)}`, template.version);
        await reload();
      } catch (error) {
        show(slot, errorNotice(error));
      }
    } }, t("workspace.action.delete")) : null));
  return form;
}

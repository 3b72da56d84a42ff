"""The printable opportunity page (Jinja autoescapes every value)."""

PRINT_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ o.title }} – Dealpane</title>
<style>
 body{font-family:"Segoe UI",system-ui,sans-serif;font-size:11pt;margin:2em;color:#201f1e}
 h1{font-size:18pt;margin:0 0 .2em} h2{font-size:13pt;border-bottom:1px solid #c8c6c4;margin-top:1.5em}
 table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:3px 6px;vertical-align:top}
 td.n,th.n{text-align:right} dl{display:grid;grid-template-columns:12em 1fr;gap:2px 1em} dt{color:#605e5c}
 .comments{white-space:pre-wrap} @media print{body{margin:0}}
</style></head><body>
<h1>{{ o.title }}</h1>
<p>{{ workspace.name }} · {{ o.status|capitalize }}{% if o.read_only %} (read-only){% endif %}</p>
<h2>General</h2>
<dl>
 <dt>Link to</dt><dd>{{ o.link.name }} ({{ o.link.type }})</dd>
 <dt>Assigned to</dt><dd>{{ o.assigned_to_name or "" }}</dd>
 <dt>Sales stage</dt><dd>{{ o.stage_name or "" }}</dd>
 <dt>Type</dt><dd>{{ o.type or "" }}</dd>
 <dt>Probability</dt><dd>{{ o.probability }} %</dd>
 <dt>Total</dt><dd>{{ o.total }} {{ o.currency }}</dd>
 <dt>Expected revenue</dt><dd>{{ o.expected_revenue }} {{ o.currency }}</dd>
 <dt>Close date</dt><dd>{{ o.close_date or "" }}</dd>
 <dt>Payment terms</dt><dd>{{ o.payment_terms or "" }}</dd>
 <dt>Expiration date</dt><dd>{{ o.expiration_date or "" }}</dd>
 <dt>Delivery date</dt><dd>{{ o.delivery_date or "" }}</dd>
 <dt>Source</dt><dd>{{ o.source or "" }}</dd>
 <dt>Competitors</dt><dd>{{ o.competitors or "" }}</dd>
 <dt>Categories</dt><dd>{{ o.categories|join(", ") }}</dd>
 <dt>Reminder</dt><dd>{{ o.reminder_at or "" }}</dd>
</dl>
<h2>Products and services</h2>
<table><tr><th>Item</th><th class="n">Quantity</th><th class="n">Unit price</th><th class="n">Discount %</th><th class="n">Amount</th></tr>
{% for l in o.lines %}<tr><td>{{ l.name }}{% if l.description %}<br><small>{{ l.description }}</small>{% endif %}</td>
<td class="n">{{ l.quantity }}</td><td class="n">{{ l.unit_price }}</td><td class="n">{{ l.discount_percent }}</td><td class="n">{{ l.amount }}</td></tr>
{% endfor %}<tr><th colspan="4">Total</th><th class="n">{{ o.total }}</th></tr></table>
{% if o.activities %}<h2>Sales activities</h2><ul>
{% for a in o.activities %}<li>{{ "☑" if a.done else "☐" }} {{ a.name }}{% if a.due_date %} – due {{ a.due_date }}{% endif %}</li>{% endfor %}
</ul>{% endif %}
<h2>Comments</h2><div class="comments">{{ o.comments }}</div>
<h2>History</h2>
<table><tr><th>Date</th><th>Kind</th><th>Subject</th><th>Summary</th></tr>
{% for h in history %}<tr><td>{{ h.occurred_at[:16].replace("T", " ") }}</td><td>{{ h.kind.replace("_", " ") }}</td><td>{{ h.subject }}</td><td>{{ h.summary }}</td></tr>
{% else %}<tr><td colspan="4">No history yet.</td></tr>{% endfor %}</table>
<p><small>Printed {{ printed_at.strftime("%Y-%m-%d %H:%M UTC") }}</small></p>
</body></html>
"""

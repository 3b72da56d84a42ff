"""The CSV file's format: kinds, BCM's column names, which field each column sets, formula marking.

Documented for people in addin/workspace/README-import.md.
"""
from __future__ import annotations

KINDS = ("opportunities", "accounts", "contacts")
MAX_ROWS = 20_000
LIST_SEPARATOR = ";"
# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection"): exported with a
# leading apostrophe, the spreadsheets' text marker. A leading apostrophe is removed again on import.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARKER = "'"

ACCOUNT_COLUMNS = ["Account Name", "E-mail Domains", "Business Phone", "Web Page Address", "Business Address",
                   "Categories"]
CONTACT_COLUMNS = ["Full Name", "E-mail Address", "Job Title", "Business Phone", "Account", "Categories"]
LINE_COLUMNS = ["Product or Service", "Line Description", "Quantity", "Unit Price", "Discount (%)", "Line Total"]
OPPORTUNITY_COLUMNS = [
    "Opportunity ID", "Opportunity Title", "Link To Type", "Link To", "Assigned To", "Type", "Sales Stage",
    "Probability", "Close Date", "Payment Terms", "Expiration Date", "Delivery Date", "Source",
    "Initiated By Type", "Initiated By", "Competitors", "Reminder", "Categories", "Comments", "Total",
    "Expected Revenue", *LINE_COLUMNS,
]
COLUMNS = {"accounts": ACCOUNT_COLUMNS, "contacts": CONTACT_COLUMNS, "opportunities": OPPORTUNITY_COLUMNS}
REQUIRED = {"accounts": ["Account Name"], "contacts": ["Full Name"],
            "opportunities": ["Opportunity Title", "Link To Type", "Link To"]}
# Computed by Dealpane: exported for people to read, ignored on import.
READ_ONLY = {"Total", "Expected Revenue", "Line Total"}
# The columns of the opportunity itself (repeated on each of its line rows).
RECORD_COLUMNS = [c for c in OPPORTUNITY_COLUMNS if c not in LINE_COLUMNS and c not in READ_ONLY
                  and c != "Opportunity ID"]

LINK_TYPES = {"account": "Account", "contact": "Business Contact"}
INITIATOR_TYPES = {"account": "Account", "contact": "Business Contact", "marketing_activity": "Marketing Activity"}
TYPE_WORDS = {"account": "account", "accounts": "account", "business contact": "contact", "contact": "contact",
              "contacts": "contact", "business contacts": "contact", "marketing activity": "marketing_activity",
              "marketing activities": "marketing_activity", "campaign": "marketing_activity"}

# the services' field -> the column it came from (for reporting a rule's error on its column)
ACCOUNT_FIELDS = {"name": "Account Name", "email_domains": "E-mail Domains", "phone": "Business Phone",
                  "web_site": "Web Page Address", "address": "Business Address", "categories": "Categories"}
CONTACT_FIELDS = {"display_name": "Full Name", "email_addresses": "E-mail Address", "job_title": "Job Title",
                  "phone": "Business Phone", "account_id": "Account", "categories": "Categories"}
OPPORTUNITY_FIELDS = {
    "title": "Opportunity Title", "link": "Link To", "assigned_to": "Assigned To", "type": "Type",
    "stage_id": "Sales Stage", "probability": "Probability", "close_date": "Close Date",
    "payment_terms": "Payment Terms", "expiration_date": "Expiration Date", "delivery_date": "Delivery Date",
    "source": "Source", "initiated_by": "Initiated By", "competitors": "Competitors", "reminder_at": "Reminder",
    "categories": "Categories", "comments": "Comments",
}
LINE_FIELDS = {"name": "Product or Service", "product_id": "Product or Service", "description": "Line Description",
               "quantity": "Quantity", "unit_price": "Unit Price", "discount_percent": "Discount (%)",
               "id": "Product or Service"}

"""How long a text field may be, stated once: the API's pydantic schemas (addin/api/schemas.py,
process_schemas.py) refuse longer input before a service runs, and the services (and the CSV import, which
has no schema in front of it) check the same numbers. Money and quantity bounds are in storage/types.py.
Nothing happens at import time: plain numbers only."""

NAME = 200  # a record's name or title, a person's display name or job title, a product line's name
LIST_VALUE = 100  # a sales stage, a category, a pick-list value (type, source, payment terms, kind)
EMAIL_ADDRESS = 320  # RFC 5321: 64 for the local part, @, 255 for the domain
EMAIL_LOCAL_PART = 64
EMAIL_DOMAIN = 255
DOMAIN_NAME = 253  # an account's e-mail domain (DNS: 253 characters)
PHONE = 50
WEB_SITE = 500
POSTAL_ADDRESS = 2000
DESCRIPTION = 4000  # a product's, a line's or a template's description; an opportunity's competitors
COMMENT = 10_000  # one comment added to an opportunity
LONG_TEXT = 100_000  # an opportunity's comments, a history item's body
SUBJECT = 500  # a history item's (an e-mail's) subject
TASK_SUBJECT = 300  # a project task's or a template task's subject
FILE_NAME = 300  # a history item's file
URL = 2000  # a history item's file link

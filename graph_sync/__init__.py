"""Everything that talks to Microsoft Graph: the client port and its msgraph-sdk adapter, MSAL auth, sync, and the fake Graph."""

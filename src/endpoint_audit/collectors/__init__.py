"""Deprecated: collectors live in their check's package (`endpoint_audit.checks.<id>`);
`endpoint_audit.collectors.base` remains as an import path for third-party plugins."""

"""The ECI cloud client: request/response models, flattening, signing, transport, errors, quotas."""

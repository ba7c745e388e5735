"""Infrastructure checks: kustomize renders, schemas, SAM, checkov, cross-file invariants."""

"""Pure translation: spec -> ECI desired state; Describe -> observed state; diff -> plan."""

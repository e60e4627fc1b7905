"""GraphQL over the same services as REST: ``/graphql/system`` (authentication and the system
collections) and ``/graphql`` (the project's collections), schemas built per caller from what
its permissions let it see, and the limits that keep hostile documents cheap."""

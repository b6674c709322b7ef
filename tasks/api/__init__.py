"""The work loop's REST API: campaigns, reviews, disputes (the worker's side is workers.api)."""

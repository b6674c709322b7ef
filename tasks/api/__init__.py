"""The work loop's REST API: campaigns, feed, claims, proofs, reviews, disputes."""

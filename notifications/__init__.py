"""In-app notifications and the emails that follow them."""

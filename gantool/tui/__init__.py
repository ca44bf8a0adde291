"""The Textual dashboard. It reads run directories only, so it can watch any run anywhere."""

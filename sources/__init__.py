"""Where re-posts are looked for: paste sites, search APIs, mirrors, crawls, drop folders."""

"""A test bundle modelled on a real organisation (issue 18): three product teams and the platform
team, seven HTTP services, staging and prod; the search team exists only as teams/search.yaml."""

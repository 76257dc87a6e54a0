"""The betterauth-jwt command line: inspect, verify, jwks; token recognition and error explanations."""

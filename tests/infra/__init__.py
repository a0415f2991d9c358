"""Infrastructure tests: the synthesized CDK templates, cdk-nag, and their agreement with the local runtime."""

#!/usr/bin/env python3
"""The CDK app: `npx cdk synth -c stage=dev|prod` (default dev) runs this file."""

from stacks import build_app

if __name__ == "__main__":
    build_app().synth()

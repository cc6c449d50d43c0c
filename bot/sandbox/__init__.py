"""The fake Slack (Web API, people, web page), fake platform and fake Web Risk that the tests
and `jobgate sandbox` share."""

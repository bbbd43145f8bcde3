"""Serving and operating merzim: settings, nodes, proxy, health, metrics, restore."""

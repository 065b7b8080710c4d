"""Virtual devices for the demo and the tests: cameras, intercoms, phones, I/O modules."""

"""Serial devices: ESC/POS ticket printer, LED boards, voice; simulators for tests and demos."""

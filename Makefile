# Thin aliases for ./dev (the README's two commands are ./dev run and ./dev test).
.PHONY: run test setup bench
run:
	./dev run
test:
	./dev test
setup:
	./dev setup
bench:
	./dev bench

# Shortcuts for ./dev, for those who type make.
.PHONY: demo test lint bench
demo:  ; ./dev demo
test:  ; ./dev test
lint:  ; ./dev lint
bench: ; ./dev bench

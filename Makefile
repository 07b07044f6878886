# Two commands do everything on a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install test demo android-core-test benchmarks clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q
	@if command -v javac >/dev/null 2>&1 && [ -f $${JUNIT_JAR:-/usr/share/java/junit4.jar} ]; then \
		$(MAKE) --no-print-directory android-core-test; \
	else echo "no JDK or JUnit 4 here: Android core tests not run (apt-get install junit4 libhamcrest-java; make android-core-test)"; fi
	@if command -v javac >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		bash android_demo/typecheck/run.sh; \
	else echo "no JDK or npm here: Android app type check not run (android_demo/typecheck/run.sh)"; fi
	@if [ -x $${JAVA22_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java ] && [ -f $${JUNIT_JAR:-/usr/share/java/junit4.jar} ]; then \
		PY=$(abspath $(PY)) bash android_demo/modeltest/run.sh; \
	else echo "no JDK 22+ or JUnit 4 here: Android model-path test not run (android_demo/modeltest/run.sh)"; fi

android-core-test:
	bash android_demo/core/run_tests.sh

demo: $(STAMP)
	$(VENV)/bin/tfsr demo --out demo_out

benchmarks: $(STAMP)
	$(PY) benchmarks/train_step.py
	$(PY) benchmarks/data_pipeline.py
	$(PY) benchmarks/inference.py
	$(PY) benchmarks/enhance.py

clean:
	rm -rf demo_out runs .pytest_cache

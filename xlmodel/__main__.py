from xlmodel.cli import run

run()

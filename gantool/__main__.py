from gantool.cli import main

main()

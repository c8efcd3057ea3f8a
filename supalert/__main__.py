from supalert.cli import main

main()

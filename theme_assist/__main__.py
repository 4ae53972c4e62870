from theme_assist.cli import main

main()

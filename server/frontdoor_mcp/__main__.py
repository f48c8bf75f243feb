from frontdoor_mcp.cli import main

main()

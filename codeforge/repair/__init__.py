"""`codeforge repair`: analyse a program, show the model every finding, keep its patch only when the patch still
passes the task's tests and has fewer findings by severity, for up to N epochs; every epoch is stored."""

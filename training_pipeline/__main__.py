from training_pipeline.cli import main

raise SystemExit(main())

"""Fine-tuning: training data (graph text, execution feedback, decontamination) and trl trainers."""

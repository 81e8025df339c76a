"""The Personalize step: plan, import, train, evaluate and deploy — on AWS, or offline with the local backend."""

module github.com/ollama-lab/distributed/reference-node

go 1.19

require gopkg.in/yaml.v3 v3.0.1

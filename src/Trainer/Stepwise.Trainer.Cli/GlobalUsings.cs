// The tokenizer types (TextTokenizer, ...) live in the Stepwise.Tokenizers library the trainer references.
global using Stepwise.Tokenizers;

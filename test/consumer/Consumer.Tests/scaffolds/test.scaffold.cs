// Scaffold "test": the snippet is a complete C# file (usings, namespace, test class), compiled as it is.
//#usings
//#snippet

class Module2TestClass:
    pass


# Define a module-level variable
imported_module_variable = Module2TestClass()
imported_module_variable2 = imported_module_variable

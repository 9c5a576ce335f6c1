# Define a module-level variable
module_variable = 178


class IntContainer:
    def __init__(self, value: int) -> None:
        self.int_container_value = value


module_container = IntContainer(145)

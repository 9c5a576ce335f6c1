from tests.testing_modules import module1


h


service.name
svcM

sc1B